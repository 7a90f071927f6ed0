"""Internal authentication: which role and user a call between services acts for, signed by the gateway.

The gateway is the only component that authenticates people (API keys). On each
call it makes to another service it sends, as `x-pm-auth` metadata, a token
naming the caller's role, the user the call acts for, the request id and an
expiry (the call's deadline), under an HMAC-SHA256 keyed by a secret that every
process of the mesh shares (`PM_INTERNAL_SECRET`, or `PM_INTERNAL_SECRET_FILE`
from a Kubernetes Secret). The server interceptor verifies the token and only
then sets `role_var` and `user_var`; unsigned `x-pm-role` / `x-pm-user` metadata
means nothing. A service forwards the token it received, unchanged, on the calls
it makes for that request (a persona reading or storing the user's memory, Abi
reading the user's weights), so the user a call acts for always comes from the
gateway and nobody but the gateway (or another holder of the secret) can name one.

Handlers that need a caller say so with `require_role` or `require_user`:
UNAUTHENTICATED (`INTERNAL_TOKEN_MISSING`, `_INVALID`, `_EXPIRED`) when there is
no valid token, PERMISSION_DENIED (`ROLE_REQUIRED`, `USER_MISMATCH`) when the
token does not cover the call.

Token: `v1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(key, "v1.<claims>"))>`,
where key = HMAC-SHA256(secret, "persona-mesh internal token v1").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import grpc

from services.common import context as ctx
from services.common.errors import ServiceError, permission_denied
from services.common.reasons import Reason
from services.common.settings import CommonSettings

log = logging.getLogger(__name__)

VERSION = "v1"
MIN_SECRET_CHARS = 32
_KEY_LABEL = b"persona-mesh internal token v1"

TOKEN_MISSING = ctx.AUTH_MISSING
TOKEN_INVALID = Reason.INTERNAL_TOKEN_INVALID
TOKEN_EXPIRED = Reason.INTERNAL_TOKEN_EXPIRED

_MESSAGES: dict[str, str] = {
    TOKEN_MISSING: "this call needs the gateway's signed token (x-pm-auth); "
    "x-pm-role or x-pm-user metadata without it is ignored",
    TOKEN_INVALID: "the x-pm-auth token is not valid: malformed, wrongly signed or issued for another request",
    TOKEN_EXPIRED: "the x-pm-auth token has expired",
}


class InternalAuthError(Exception):
    """The process cannot authenticate internal calls (no secret, an unreadable file, a weak secret)."""


@dataclass(frozen=True)
class Caller:
    """What a verified token says."""

    role: str
    user: str
    request_id: str
    expires_at: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _refused(reason: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.UNAUTHENTICATED, reason, _MESSAGES[reason])


class InternalAuth:
    """Signs (the gateway) and verifies (every service) internal call tokens with the mesh's shared secret."""

    def __init__(self, secret: str, *, max_lifetime: float = 120.0, clock_skew: float = 5.0) -> None:
        if len(secret) < MIN_SECRET_CHARS:
            raise InternalAuthError(
                f"the internal secret must have at least {MIN_SECRET_CHARS} characters, it has {len(secret)}"
            )
        self._key = hmac.new(secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()
        self.max_lifetime = max_lifetime
        self.clock_skew = clock_skew

    @classmethod
    def from_settings(cls, settings: CommonSettings) -> InternalAuth:
        """The mesh's secret from PM_INTERNAL_SECRET_FILE or PM_INTERNAL_SECRET; fails closed without one."""
        inline = settings.internal_secret.get_secret_value()
        if settings.internal_secret_file and inline:
            raise InternalAuthError("set PM_INTERNAL_SECRET or PM_INTERNAL_SECRET_FILE, not both")
        if settings.internal_secret_file:
            try:
                secret = Path(settings.internal_secret_file).read_text(encoding="utf-8").strip()
            except OSError as error:
                raise InternalAuthError(
                    f"cannot read PM_INTERNAL_SECRET_FILE {settings.internal_secret_file}: {error}"
                ) from error
        else:
            secret = inline.strip()
        if not secret:
            raise InternalAuthError(
                "no internal secret: set PM_INTERNAL_SECRET or PM_INTERNAL_SECRET_FILE to the same secret in "
                "every process of the mesh (the Helm chart mounts one; `make run` generates one)"
            )
        return cls(
            secret, max_lifetime=settings.internal_token_max_seconds, clock_skew=settings.internal_token_skew_seconds
        )

    def _mac(self, signed: str) -> str:
        return _b64(hmac.new(self._key, signed.encode("ascii"), hashlib.sha256).digest())

    def sign(self, role: str, user: str, request_id: str, lifetime: float, now: float | None = None) -> str:
        """A token for `role` acting for `user` in `request_id`, valid `lifetime` seconds (at most max_lifetime)."""
        issued = time.time() if now is None else now
        expires = round(issued + max(0.0, min(lifetime, self.max_lifetime)), 3)
        claims = json.dumps({"exp": expires, "rid": request_id, "role": role, "user": user}, separators=(",", ":"))
        signed = f"{VERSION}.{_b64(claims.encode('utf-8'))}"
        return f"{signed}.{self._mac(signed)}"

    def verify(self, token: str, now: float | None = None) -> Caller:
        """The claims of a valid token; raises UNAUTHENTICATED (INTERNAL_TOKEN_INVALID / _EXPIRED)."""
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != VERSION:
            raise _refused(TOKEN_INVALID)
        signed = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(parts[2], self._mac(signed)):
            raise _refused(TOKEN_INVALID)
        try:
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, binascii.Error):
            raise _refused(TOKEN_INVALID) from None
        role, user, request_id, expires = (claims.get(k) for k in ("role", "user", "rid", "exp"))
        if not (
            isinstance(role, str)
            and isinstance(user, str)
            and isinstance(request_id, str)
            and isinstance(expires, int | float)
        ):
            raise _refused(TOKEN_INVALID)
        current = time.time() if now is None else now
        if current > expires + self.clock_skew:
            raise _refused(TOKEN_EXPIRED)
        if expires - current > self.max_lifetime + self.clock_skew:
            raise _refused(TOKEN_INVALID)  # no issuer of this mesh signs for that long
        return Caller(role, user, request_id, float(expires))

    def call_metadata(self, timeout: float) -> list[tuple[str, str]]:
        """Metadata for a call the gateway makes for the current request: its id and, when a principal is
        bound (role_var / user_var), a token for that role and user that lives as long as the call."""
        request_id = ctx.request_id_var.get()
        metadata = [(ctx.REQUEST_ID_KEY, request_id)] if request_id else []
        role, user = ctx.role_var.get(), ctx.user_var.get()
        if role or user:
            metadata.append((ctx.AUTH_KEY, self.sign(role, user, request_id, timeout)))
        return metadata


def bind_inbound(auth: InternalAuth | None, token: str, request_id: str) -> None:
    """Set the request id and caller context of an inbound call from its metadata.

    role_var and user_var are set only from a valid token. A token that names a request id (the gateway's
    always do) is valid only on a call of that request: the call's x-request-id, when it sends one, must be
    the same, and otherwise the call takes the token's. Without a valid token role and user stay empty and
    auth_problem_var says why.
    """
    role = user = verified = ""
    problem: str = TOKEN_MISSING
    if token and auth is not None:
        try:
            caller = auth.verify(token)
        except ServiceError as error:
            problem = error.reason
        else:
            if caller.request_id and request_id and request_id != caller.request_id:
                problem = TOKEN_INVALID
            else:
                role, user, verified, problem = caller.role, caller.user, token, ""
                request_id = request_id or caller.request_id
    ctx.request_id_var.set(request_id or ctx.new_request_id())
    ctx.role_var.set(role)
    ctx.user_var.set(user)
    ctx.auth_token_var.set(verified)
    ctx.auth_problem_var.set(problem)
    if token and problem:
        log.warning("internal token refused", extra={"reason": problem})


def require_caller() -> None:
    """The inbound call carries a valid gateway token; raises UNAUTHENTICATED otherwise."""
    problem = ctx.auth_problem_var.get()
    if problem:
        raise _refused(problem if problem in _MESSAGES else TOKEN_MISSING)


def require_role(roles: Collection[str], action: str) -> None:
    """A verified caller whose signed role is one of `roles`."""
    require_caller()
    role = ctx.role_var.get()
    if role not in roles:
        raise permission_denied(
            Reason.ROLE_REQUIRED, f"{action} needs role {' or '.join(roles)}; the signed role is {role or 'none'!r}"
        )


def require_user(user_id: str, action: str) -> None:
    """A verified caller acting for `user_id` (the user the gateway signed); an empty `user_id` only needs
    a verified caller."""
    require_caller()
    signed = ctx.user_var.get()
    if user_id and user_id != signed:
        raise permission_denied(
            Reason.USER_MISMATCH, f"{action}: the call is signed for user {signed!r}, not for {user_id!r}"
        )
