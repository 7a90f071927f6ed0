"""Input checks shared by the handlers: every bad value becomes INVALID_ARGUMENT with a reason.

Checks run before anything is embedded or stored, so a rejected request leaves no trace.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from google.protobuf.timestamp_pb2 import Timestamp

from personamesh.v1 import persona_pb2
from services.common.encoder import DIMENSION
from services.common.errors import invalid_argument
from services.common.reasons import Reason
from services.common.registry import persona_enum, persona_registry

# Memory and learned weights are stored per enum value: the registry's personas that have one.
KNOWN_PERSONAS: frozenset[int] = frozenset(
    value for value in map(persona_enum, persona_registry().names) if value != persona_pb2.PERSONA_UNSPECIFIED
)
# Milvus VARCHAR limits are in bytes; stored texts must fit one field.
MAX_STORED_TEXT_BYTES = 65_535
MAX_ID_CHARS = 256


def text(value: str, field: str, max_chars: int, *, required: bool = True) -> str:
    """A text to embed: not blank (when required), not longer than `max_chars`."""
    if not value.strip():
        if required:
            raise invalid_argument(Reason.EMPTY_TEXT, f"{field} must not be empty", field)
        return value
    if len(value) > max_chars:
        raise invalid_argument(
            Reason.TEXT_TOO_LONG, f"{field} has {len(value)} characters; the limit is {max_chars}", field
        )
    if "\x00" in value:
        raise invalid_argument(Reason.INVALID_TEXT, f"{field} contains a NUL character", field)
    return value


def fit_stored_text(value: str, max_bytes: int = MAX_STORED_TEXT_BYTES) -> str:
    """`value` cut to a store field's size at a character boundary (only multi-byte texts near the
    character limit are affected; the embedding is computed from the full text)."""
    data = value.encode("utf-8")
    if len(data) <= max_bytes:
        return value
    return data[:max_bytes].decode("utf-8", errors="ignore")


def identifier(value: str, field: str, *, required: bool = True) -> str:
    """A user, session, request or source id: short, printable, no surrounding blanks."""
    if not value:
        if required:
            raise invalid_argument(Reason.MISSING_ID, f"{field} is required", field)
        return value
    if len(value) > MAX_ID_CHARS:
        raise invalid_argument(Reason.ID_TOO_LONG, f"{field} is longer than {MAX_ID_CHARS} characters", field)
    if value != value.strip() or not value.isprintable():
        raise invalid_argument(
            Reason.INVALID_ID, f"{field} must be printable with no leading or trailing blanks", field
        )
    return value


def top_k(value: int, field: str, max_k: int) -> int:
    if not 1 <= value <= max_k:
        raise invalid_argument(Reason.K_OUT_OF_RANGE, f"{field} must be between 1 and {max_k}, got {value}", field)
    return value


def persona(value: int, field: str, *, allow_unspecified: bool) -> int:
    if value == persona_pb2.PERSONA_UNSPECIFIED and allow_unspecified:
        return value
    if value not in KNOWN_PERSONAS:
        name = "PERSONA_UNSPECIFIED" if value == 0 else str(value)
        raise invalid_argument(Reason.UNKNOWN_PERSONA, f"{field} must name a known persona, got {name}", field)
    return value


def vector(values: Sequence[float], field: str) -> list[float]:
    if len(values) != DIMENSION:
        raise invalid_argument(
            Reason.WRONG_VECTOR_DIMENSION,
            f"{field} has {len(values)} values; the model's dimension is {DIMENSION}",
            field,
        )
    if not all(math.isfinite(v) for v in values):
        raise invalid_argument(Reason.INVALID_VECTOR, f"{field} contains NaN or infinite values", field)
    if not any(values):
        raise invalid_argument(Reason.INVALID_VECTOR, f"{field} is the zero vector", field)
    return list(values)


def unit_interval(value: float, field: str) -> float:
    if not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise invalid_argument(Reason.OUT_OF_RANGE, f"{field} must be within [0, 1], got {value}", field)
    return value


def score_threshold(value: float, field: str) -> float:
    if not (math.isfinite(value) and -1.0 <= value <= 1.0):
        raise invalid_argument(Reason.OUT_OF_RANGE, f"{field} must be within [-1, 1], got {value}", field)
    return value


def timestamp_ms(value: Timestamp, field: str) -> int:
    """Milliseconds since the epoch of a set Timestamp (range-checked)."""
    if not (0 <= value.nanos < 1_000_000_000) or not (0 <= value.seconds <= 253_402_300_799):
        raise invalid_argument(Reason.INVALID_TIMESTAMP, f"{field} is outside 1970..9999 or has invalid nanos", field)
    return value.seconds * 1000 + value.nanos // 1_000_000
