"""Secrets never reach a log line: query-string keys and tokens, bearer credentials.

uvicorn logs each WebSocket handshake with its path and query string
(`"WebSocket /api/v1/ws?api_key=pm_..." [accepted]`), and an exception can carry
a URL or a header. Every line the gateway's handlers write is redacted after
formatting, so whatever a record holds (message, arguments, extra fields,
traceback) is covered.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[REDACTED]"

# `?api_key=...`, `&token=...` and the like, in URLs and query strings (a JSON string ends at `"` or `\`).
_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:api[_-]?key|apikey|key|token|access[_-]?token|auth|authorization|password|passwd|secret)=)"
    r"[^&;#\s\"'\\]+"
)
# `Bearer pm_...` (a header value) and the `bearer.pm_...` WebSocket subprotocol.
_BEARER = re.compile(r"(?i)\b(bearer[\s.]+)[A-Za-z0-9\-._~+/]+=*")


def redact(text: str) -> str:
    """The text with every recognisable secret replaced by [REDACTED]."""
    if "=" in text:
        text = _QUERY_SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    if "earer" in text or "EARER" in text:
        text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class RedactingFormatter(logging.Formatter):
    """Wraps a handler's formatter and redacts the finished line."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))


def redact_secrets_in_logs(logger: logging.Logger | None = None) -> None:
    """Redact every line the handlers of `logger` (the root logger by default) write; idempotent."""
    for handler in (logger or logging.getLogger()).handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            handler.setFormatter(RedactingFormatter(handler.formatter))
