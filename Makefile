.PHONY: install lint fmt test demo bench

install:
	python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'

lint:
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/ruff format --check src tests benchmarks
	.venv/bin/lint-imports
	.venv/bin/python -m mypy

fmt:
	.venv/bin/ruff format src tests benchmarks
	.venv/bin/ruff check --fix src tests benchmarks

test:
	.venv/bin/python -m pytest

demo:
	.venv/bin/lto demo

bench:
	for script in benchmarks/bench_*.py; do .venv/bin/python "$$script" || exit 1; done
