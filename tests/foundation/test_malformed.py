"""Every service answers an undecodable request the same way, before any of its own code runs.

The shared server interceptor wraps each generated handler's deserializer
(services/common/decoding.py): invalid UTF-8 in a string field is INVALID_ARGUMENT
INVALID_UTF8 naming the field (also as a BadRequest field violation); bytes that
are not the message at all are INVALID_ARGUMENT MALFORMED_REQUEST. No credentials
are sent: decoding comes before authentication, and reveals nothing.
"""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2

from services.common.errors import error_detail, error_info
from tests.conftest import RunningMesh

# (process, method, bytes with invalid UTF-8 in one string field, that field's dotted path)
CASES = [
    ("abi", "/personamesh.v1.AbiService/Route", b"\x0a\x04\x22\x02\xff\xfe", "request.content"),
    ("embeddings", "/personamesh.v1.EmbeddingIndexService/Embed", b"\x0a\x02\xff\xfe", "texts.0"),
    ("abbey-1", "/personamesh.v1.PersonaService/Chat", b"\x22\x02\xff\xfe", "content"),
    ("gateway", "/personamesh.v1.GatewayService/Chat", b"\x0a\x02\xff\xfe", "content"),
]
# A length-delimited field 1 whose length runs past the end: not protobuf at all.
TRUNCATED = b"\x0a\x33\xff"


def _raw_call(target: str, method: str, payload: bytes) -> grpc.RpcError:
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
        with pytest.raises(grpc.RpcError) as caught:
            call(payload, timeout=10)
    return caught.value


@pytest.mark.parametrize(("name", "method", "bad_utf8", "field"), CASES, ids=[c[0] for c in CASES])
def test_invalid_utf8_is_the_same_answer_everywhere(
    mesh: RunningMesh, name: str, method: str, bad_utf8: bytes, field: str
) -> None:
    error = _raw_call(mesh.addr(name), method, bad_utf8)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    info = error_info(error)
    assert info is not None and info.reason == "INVALID_UTF8" and info.metadata["field"] == field, error
    bad = error_detail(error, error_details_pb2.BadRequest)
    assert bad is not None and [v.field for v in bad.field_violations] == [field]


@pytest.mark.parametrize(("name", "method"), [(c[0], c[1]) for c in CASES], ids=[c[0] for c in CASES])
def test_bytes_that_are_not_the_message_are_malformed_everywhere(mesh: RunningMesh, name: str, method: str) -> None:
    error = _raw_call(mesh.addr(name), method, TRUNCATED)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    info = error_info(error)
    assert info is not None and info.reason == "MALFORMED_REQUEST", error
