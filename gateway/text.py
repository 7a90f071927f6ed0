"""Text validation at the edge: every string a caller sends must be valid UTF-8.

JSON can carry lone surrogates (`"\\ud800"`), which Python decodes into a `str`
that cannot be encoded again: protobuf, the logs and every JSON response would
fail on it later. Protobuf refuses invalid UTF-8 while decoding, without saying
where. Both are refused at the front doors with INVALID_UTF8 and the field's
dotted path (`content`, `context.topic`, `recent_turns.1.content`, `messages.0.content`).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from services.common.decoding import invalid_utf8, proto_invalid_field
from services.common.reasons import Reason

REASON = Reason.INVALID_UTF8
_MAX_PATH_CHARS = 200
__all__ = ["REASON", "EdgeModel", "check", "first_invalid", "invalid_utf8", "proto_invalid_field"]


def encodable(value: str) -> bool:
    """Whether `value` can be encoded as UTF-8 (no lone surrogates)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _join(path: str, part: object) -> str:
    return f"{path}.{part}" if path else str(part)


def first_invalid(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or object key) in `value` that is not valid UTF-8, or None.

    Walks parsed JSON (dicts, lists, strings) iteratively, so any nesting depth is safe. A bad key
    names the object that holds it (the key itself cannot be printed).
    """
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if not encodable(item):
                return where or "body"
        elif isinstance(item, dict):
            children = []
            for key, child in item.items():
                if isinstance(key, str) and not encodable(key):
                    return where or "body"
                children.append((_join(where, key), child))
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend(reversed([(_join(where, index), child) for index, child in enumerate(item)]))
    return None


def check(value: Any, path: str = "") -> None:
    """Raise INVALID_UTF8 naming the first field of `value` that is not valid UTF-8."""
    found = first_invalid(value, path)
    if found is not None:
        raise invalid_utf8(found)


class EdgeModel(BaseModel):
    """A request body checked for invalid text before anything else: every string, key and extra field.

    The error (type `invalid_utf8`, the field in its context) becomes 400 INVALID_UTF8 in http_errors. A field the
    body does not have is 400 UNKNOWN_FIELD, named: dropped in silence, a misspelt "sesion_id" lost the conversation.
    Bodies that must take any field (OpenAI's, whose clients send many optional ones) allow extras themselves.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _valid_text(cls, data: Any) -> Any:
        found = first_invalid(data)
        if found is not None:
            field = found[:_MAX_PATH_CHARS]
            raise PydanticCustomError("invalid_utf8", "{field} is not valid UTF-8 text", {"field": field})
        return data


def undecodable_json_field(body: bytes) -> str | None:
    """For a JSON body that is not valid UTF-8: the path of the string holding the bad bytes, if it parses."""
    try:
        parsed = json.loads(body.decode("utf-8", "surrogateescape"))
    except (ValueError, RecursionError):
        return None
    return first_invalid(parsed)
