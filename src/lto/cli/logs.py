"""What the ``lto`` commands log, and what they keep quiet.

pika logs every failed connection attempt at ERROR with a traceback, and every channel it opens
at INFO; Alembic announces its context on every start. LTO's adapters report what matters in
one line of their own (``error: broker: cannot reach RabbitMQ …``), so these libraries speak up
only at ``LTO_LOG_LEVEL=DEBUG``.
"""

from __future__ import annotations

import logging

NOISY = {"pika": logging.CRITICAL, "alembic": logging.WARNING}
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def quiet_libraries(level: str = "INFO") -> None:
    for name, quiet in NOISY.items():
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else quiet)


def text_logs(level: str) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    quiet_libraries(level)


__all__ = ["quiet_libraries", "text_logs"]
