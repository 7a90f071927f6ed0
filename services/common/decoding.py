"""The one lenient decoder of gRPC requests: undecodable bytes become INVALID_ARGUMENT, the same from every service.

The server interceptor wraps whatever `request_deserializer` a generated handler has
(`lenient`): bytes that do not parse reach the interceptor as `Undecodable`, which it
answers before any servicer runs (`undecodable_error`): INVALID_UTF8 naming the field
when a string field is not UTF-8 (found by walking the wire format along the method's
input descriptor), MALFORMED_REQUEST for anything else that is not the message.
Without this, grpc answers an exception in a deserializer with a bare INTERNAL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from services.common.errors import ServiceError, invalid_argument
from services.common.reasons import Reason

_MAX_PATH_CHARS = 200


@dataclass(frozen=True)
class Undecodable:
    """Stands in for a request whose bytes did not decode."""

    error: str
    # Dotted path of the string field that is not UTF-8, when that is the problem.
    invalid_text_field: str | None


def invalid_utf8(field: str) -> ServiceError:
    """INVALID_UTF8 naming the field (HTTP JSON and gRPC protobuf alike)."""
    field = field[:_MAX_PATH_CHARS]
    return invalid_argument(
        Reason.INVALID_UTF8, f"{field} is not valid UTF-8 text (a lone surrogate or undecodable bytes)", field
    )


def undecodable_error(request: Undecodable) -> ServiceError:
    """The one answer to a request that did not decode."""
    if request.invalid_text_field is not None:
        return invalid_utf8(request.invalid_text_field)
    return invalid_argument(Reason.MALFORMED_REQUEST, f"the request is not a valid message: {request.error}")


def input_descriptor(method: str) -> Descriptor | None:
    """The request message type of `/package.Service/Method`, from the default descriptor pool."""
    try:
        service, name = method.lstrip("/").rsplit("/", 1)
        found: Descriptor = descriptor_pool.Default().FindServiceByName(service).methods_by_name[name].input_type
    except (KeyError, ValueError):
        return None
    return found


def lenient(deserialize: Callable[[bytes], Any] | None, descriptor: Descriptor | None) -> Callable[[bytes], Any] | None:
    """`deserialize`, answering `Undecodable` instead of raising (grpc would answer INTERNAL)."""
    if deserialize is None:
        return None
    parse = deserialize

    def decode(data: bytes) -> Any:
        try:
            return parse(data)
        except Exception as error:  # DecodeError, and whatever a custom deserializer raises
            field = proto_invalid_field(data, descriptor) if descriptor is not None else None
            return Undecodable(str(error) or type(error).__name__, field)

    return decode


def _join(path: str, part: object) -> str:
    return f"{path}.{part}" if path else str(part)


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
