"""What the ``lto`` commands log, and what they keep quiet.

pika logs every failed connection attempt at ERROR with a traceback, and every channel it opens
at INFO; Alembic announces its context on every start. LTO's adapters report what matters in
one line of their own (``error: broker: cannot reach RabbitMQ …``), so these libraries speak up
only at ``LTO_LOG_LEVEL=DEBUG``.
"""

from __future__ import annotations

import logging
import re

_CREDENTIAL = re.compile(r"((?:api_key|token|access_token)=)[^&\s\"']+", re.IGNORECASE)


class RedactCredentials(logging.Filter):
    """uvicorn logs each WebSocket's path with its query string, where a browser may carry its
    key (``/ws/alerts?api_key=lto_…``): no log line keeps a credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "=" in message and _CREDENTIAL.search(message):
            record.msg, record.args = _CREDENTIAL.sub(r"\1***", message), None
        return True


def redact_credentials() -> None:
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactCredentials) for f in handler.filters):
            handler.addFilter(RedactCredentials())


NOISY = {"pika": logging.CRITICAL, "alembic": logging.WARNING}
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def quiet_libraries(level: str = "INFO") -> None:
    for name, quiet in NOISY.items():
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else quiet)


def text_logs(level: str) -> None:
    logging.basicConfig(level=level, format=FORMAT)
    quiet_libraries(level)
    redact_credentials()


__all__ = ["RedactCredentials", "quiet_libraries", "redact_credentials", "text_logs"]
