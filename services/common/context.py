"""Per-call context carried across hops in gRPC metadata.

The server interceptor fills these context variables from incoming metadata;
the client interceptor copies them onto outgoing calls, so a request id and the
caller's deadline follow a request through every service without being passed
by hand.
"""

from __future__ import annotations

import contextvars
import time
import uuid

REQUEST_ID_KEY = "x-request-id"
ROLE_KEY = "x-pm-role"
USER_KEY = "x-pm-user"

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
role_var: contextvars.ContextVar[str] = contextvars.ContextVar("role", default="")
user_var: contextvars.ContextVar[str] = contextvars.ContextVar("user", default="")
# Absolute time.monotonic() by which the current inbound call must finish (0 = none).
deadline_var: contextvars.ContextVar[float] = contextvars.ContextVar("deadline", default=0.0)


def new_request_id() -> str:
    """A fresh request id: 32 hex characters."""
    return uuid.uuid4().hex


def current_request_id() -> str:
    return request_id_var.get()


def time_remaining() -> float | None:
    """Seconds left before the inbound deadline, or None when there is none."""
    deadline = deadline_var.get()
    if not deadline:
        return None
    return max(0.0, deadline - time.monotonic())


def outgoing_metadata() -> list[tuple[str, str]]:
    """Metadata to attach to a call made on behalf of the current request."""
    metadata: list[tuple[str, str]] = []
    for key, var in ((REQUEST_ID_KEY, request_id_var), (ROLE_KEY, role_var), (USER_KEY, user_var)):
        value = var.get()
        if value:
            metadata.append((key, value))
    return metadata
