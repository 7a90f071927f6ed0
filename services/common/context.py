"""Per-call context carried across hops in gRPC metadata.

The server interceptor fills these context variables from incoming metadata;
the client interceptor copies them onto outgoing calls, so a request id, the
caller's deadline and the gateway's signed token follow a request through every
service without being passed by hand.

Inside a service, `role_var` and `user_var` hold what the gateway signed (see
`services.common.internal_auth`) and nothing else: unsigned role or user
metadata is ignored. In the gateway they hold the principal it authenticated.
"""

from __future__ import annotations

import contextvars
import time
import uuid

from services.common.reasons import Reason

REQUEST_ID_KEY = "x-request-id"
# The gateway's signed token: role, user, request id and expiry under an HMAC (internal_auth).
AUTH_KEY = "x-pm-auth"
# Why an inbound call has no verified caller (an UPPER_SNAKE reason; "" when it has one).
AUTH_MISSING = Reason.INTERNAL_TOKEN_MISSING

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
role_var: contextvars.ContextVar[str] = contextvars.ContextVar("role", default="")
user_var: contextvars.ContextVar[str] = contextvars.ContextVar("user", default="")
# The verified token of the inbound call, forwarded unchanged on the calls made for it ("" = none).
auth_token_var: contextvars.ContextVar[str] = contextvars.ContextVar("auth_token", default="")
auth_problem_var: contextvars.ContextVar[str] = contextvars.ContextVar("auth_problem", default=AUTH_MISSING)
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
    """Metadata to attach to a call made on behalf of the current request: its id and the verified token."""
    metadata: list[tuple[str, str]] = []
    for key, var in ((REQUEST_ID_KEY, request_id_var), (AUTH_KEY, auth_token_var)):
        value = var.get()
        if value:
            metadata.append((key, value))
    return metadata
