"""API keys stored hashed, each mapped to a user and a role.

Only SHA-256 digests of keys are configured (`sha256:<hex>:<user>:<role>`), so a
leaked settings file does not leak keys. Keys are long random tokens, so a
plain digest (no salt, no slow hash) is the right tool, as for GitHub tokens.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

import grpc
import yaml

from services.common.errors import ServiceError
from services.common.reasons import Reason

ROLES = ("user", "operator", "admin")
_RANK = {role: rank for rank, role in enumerate(ROLES)}
ANONYMOUS_TOKENS = ("", "anonymous")
# Who an anonymous local caller is when it names no user: shown by whoami, never a user requests act for.
ANONYMOUS_USER = "anonymous"


@dataclass(frozen=True)
class Principal:
    """Who is calling."""

    user_id: str
    role: str
    authenticated: bool

    def has_role(self, needed: str) -> bool:
        return _RANK.get(self.role, -1) >= _RANK[needed]

    def acting_for(self, named_user: str) -> str:
        """The user a request acts for: the key's user; for an anonymous local caller the user its request names,
        else its WebSocket connection's own id, else nobody (""). Unnamed anonymous callers are never pooled into
        one user: Abbey would tell each of them the facts the others had told her."""
        if self.authenticated:
            return self.user_id
        return named_user or ("" if self.user_id == ANONYMOUS_USER else self.user_id)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A fresh API key: 'pm_' + 40 url-safe random characters."""
    return "pm_" + secrets.token_urlsafe(30)


def key_entry(key: str, user: str, role: str) -> str:
    """The settings entry for a key."""
    return f"sha256:{hash_key(key)}:{user}:{role}"


def parse_entry(entry: str) -> tuple[str, Principal]:
    """'sha256:<hex>:<user>:<role>' (or without the 'sha256:' prefix) -> (digest, principal)."""
    parts = entry.strip().split(":")
    if parts and parts[0] == "sha256":
        parts = parts[1:]
    if len(parts) != 3:
        raise ValueError(f"API key entry must be sha256:<hex>:<user>:<role>, got {entry!r}")
    digest, user, role = (p.strip() for p in parts)
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest.lower()):
        raise ValueError(f"API key entry has no SHA-256 hex digest: {entry!r}")
    if role not in _RANK:
        raise ValueError(f"API key role must be one of {', '.join(ROLES)}: {entry!r}")
    if not user:
        raise ValueError(f"API key entry has no user: {entry!r}")
    return digest.lower(), Principal(user, role, authenticated=True)


def load_entries(inline: str, file: str) -> list[str]:
    entries = [e for e in inline.split(",") if e.strip()]
    if file:
        loaded = yaml.safe_load(Path(file).read_text()) if file.endswith((".yaml", ".yml")) else None
        if loaded is None:
            loaded = json.loads(Path(file).read_text())
        if isinstance(loaded, dict):
            loaded = loaded.get("keys", [])
        entries.extend(str(e) for e in loaded)
    return entries


def unauthenticated(message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.UNAUTHENTICATED, Reason.INVALID_API_KEY, message)


class KeyStore:
    """Looks keys up by digest; knows whether anonymous callers are let in."""

    def __init__(self, entries: list[str], *, allow_anonymous: bool, anonymous_role: str = "user") -> None:
        self._by_digest = dict(parse_entry(e) for e in entries)
        self.allow_anonymous = allow_anonymous
        if anonymous_role not in _RANK:
            raise ValueError(f"anonymous role must be one of {', '.join(ROLES)}")
        self.anonymous_role = anonymous_role

    def authenticate(self, token: str | None, claimed_user: str = "") -> Principal:
        """A bearer token (or None) -> Principal; raises UNAUTHENTICATED."""
        token = (token or "").strip()
        if token in ANONYMOUS_TOKENS:
            if not self.allow_anonymous:
                raise unauthenticated("an API key is required: send 'Authorization: Bearer <key>'")
            return Principal(claimed_user or ANONYMOUS_USER, self.anonymous_role, authenticated=False)
        principal = self._by_digest.get(hash_key(token))
        if principal is None:
            raise unauthenticated("the API key is not valid")
        return principal


def bearer_token(header: str | None) -> str | None:
    """'Bearer abc' -> 'abc'; a bare value is taken as the key."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else header.strip()


def require_role(principal: Principal, role: str) -> None:
    if not principal.has_role(role):
        raise ServiceError(
            grpc.StatusCode.PERMISSION_DENIED,
            Reason.ROLE_REQUIRED,
            f"this needs the {role} role; you are {principal.role}",
        )
