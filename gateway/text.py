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

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from pydantic import BaseModel, model_validator
from pydantic_core import PydanticCustomError

from services.common.errors import ServiceError, invalid_argument

REASON = "INVALID_UTF8"
_MAX_PATH_CHARS = 200


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


def invalid_utf8(field: str) -> ServiceError:
    field = field[:_MAX_PATH_CHARS]
    return invalid_argument(REASON, f"{field} is not valid UTF-8 text (a lone surrogate or undecodable bytes)", field)


def check(value: Any, path: str = "") -> None:
    """Raise INVALID_UTF8 naming the first field of `value` that is not valid UTF-8."""
    found = first_invalid(value, path)
    if found is not None:
        raise invalid_utf8(found)


class EdgeModel(BaseModel):
    """A request body checked for invalid text before anything else: every string, key and extra field.

    The error (type `invalid_utf8`, the field in its context) becomes 400 INVALID_UTF8 in http_errors.
    """

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


# -- protobuf: find the string field whose bytes are not UTF-8 ----------------------------------


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def _valid(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _map_entry_problem(entry: bytes, descriptor: Descriptor, path: str, depth: int) -> str | None:
    """A map<string, string> entry: a bad key names the map, a bad value names `map.key`."""
    fields = _length_delimited(entry)
    key_field, value_field = descriptor.fields_by_number.get(1), descriptor.fields_by_number.get(2)
    key = fields.get(1, b"")
    if key_field is not None and key_field.type == FieldDescriptor.TYPE_STRING and not _valid(key):
        return path
    value = fields.get(2, b"")
    if value_field is None:
        return None
    if value_field.type == FieldDescriptor.TYPE_STRING and not _valid(value):
        return _join(path, key.decode("utf-8", "replace"))
    if value_field.type == FieldDescriptor.TYPE_MESSAGE and value_field.message_type is not None:
        return _walk(value, value_field.message_type, _join(path, key.decode("utf-8", "replace")), depth + 1)
    return None


def _length_delimited(data: bytes) -> dict[int, bytes]:
    """Field number -> last length-delimited value (enough for a map entry)."""
    out: dict[int, bytes] = {}
    for number, wire, value in _fields(data):
        if wire == 2:
            out[number] = value
    return out


def _fields(data: bytes) -> list[tuple[int, int, bytes]]:
    out = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, pos = _varint(data, pos)
            value = b""
        elif wire == 1:
            pos += 8
            value = b""
        elif wire == 5:
            pos += 4
            value = b""
        elif wire == 2:
            length, pos = _varint(data, pos)
            value = data[pos : pos + length]
            pos += length
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if pos > len(data):
            raise ValueError("truncated message")
        out.append((number, wire, value))
    return out


def proto_invalid_field(data: bytes, descriptor: Any, path: str = "") -> str | None:
    """The dotted path of the first string field in a serialized message that is not valid UTF-8.

    None when there is none or the bytes are not a well-formed message (the caller then reports
    the request as undecodable). Repeated fields are numbered: `recent_turns.1.content`.
    """
    try:
        return _walk(data, descriptor, path, 0)
    except (ValueError, IndexError):
        return None


_MAX_DEPTH = 32


def _walk(data: bytes, descriptor: Descriptor, path: str, depth: int) -> str | None:
    if depth > _MAX_DEPTH:
        return None
    counts: dict[int, int] = {}
    for number, wire, value in _fields(data):
        field = descriptor.fields_by_number.get(number)
        if field is None or wire != 2:
            continue
        name = _join(path, field.name)
        index = counts.get(number, 0)
        counts[number] = index + 1
        repeated = field.is_repeated
        found: str | None = None
        if field.type == FieldDescriptor.TYPE_STRING:
            if not _valid(value):
                found = _join(name, index) if repeated else name
        elif field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type is not None:
            message = field.message_type
            if message.GetOptions().map_entry:
                found = _map_entry_problem(value, message, name, depth)
            else:
                found = _walk(value, message, _join(name, index) if repeated else name, depth + 1)
        if found is not None:
            return found
    return None
