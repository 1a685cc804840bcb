from lto.cli import main

main()
