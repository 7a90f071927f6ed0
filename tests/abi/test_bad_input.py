"""Bad input gives INVALID_ARGUMENT with a clear reason; never INTERNAL, a crash or a hang."""

from __future__ import annotations

import grpc
import pytest

from personamesh.v1 import abi_service_pb2, persona_pb2
from services.common.errors import error_reason
from tests.abi.conftest import AbiUnderTest
from tests.abi.helpers import route_request
from tests.signing import admin

ROUTE = "/personamesh.v1.AbiService/Route"


def _expect_invalid(call, reason: str) -> None:
    with pytest.raises(grpc.RpcError) as error:
        call()
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT, error.value.details()
    assert error_reason(error.value) == reason, error.value.details()


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (abi_service_pb2.RouteRequest(), "MISSING_REQUEST"),
        (route_request(""), "EMPTY_CONTENT"),
        (route_request("   \n\t "), "EMPTY_CONTENT"),
        (route_request("\u200b\u200d"), "EMPTY_CONTENT"),
        (route_request("x" * 32_001), "CONTENT_TOO_LONG"),
        (route_request("a\x00b"), "INVALID_CHARACTERS"),
        (route_request("hi", forced_persona=42), "UNKNOWN_PERSONA"),
        (route_request("hi", forced_persona=persona_pb2.PERSONA_ABI), "PERSONA_NOT_ROUTABLE"),
        (route_request("hi", max_tokens=0), "OUT_OF_RANGE"),
        (route_request("hi", max_tokens=10**6), "OUT_OF_RANGE"),
        (route_request("hi", temperature=float("nan")), "OUT_OF_RANGE"),
        (route_request("hi", temperature=-1.0), "OUT_OF_RANGE"),
        (route_request("hi", recent_turns=[persona_pb2.Turn(content="x")] * 51), "TOO_MANY_TURNS"),
        (
            route_request("hi", recent_turns=[persona_pb2.Turn(role=persona_pb2.Role.ValueType(9), content="x")]),
            "UNKNOWN_ROLE",
        ),
        (route_request("hi", user_role="Robert'); DROP TABLE"), "INVALID_ROLE"),
        (route_request("hi", metadata={f"k{i}": "v" for i in range(65)}), "TOO_MANY_METADATA"),
    ],
)
def test_route_rejects(abi: AbiUnderTest, request_: abi_service_pb2.RouteRequest, reason: str) -> None:
    _expect_invalid(lambda: abi.stub.Route(request_, timeout=5), reason)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        # RouteRequest{request: PersonaRequest{content: b"\xff\xfe"}}: invalid UTF-8 in a string field.
        (b"\x0a\x04\x22\x02\xff\xfe", "INVALID_UTF8"),
        # Truncated length-delimited field.
        (b"\x0a\x10\x22\x02hi", "MALFORMED_REQUEST"),
        # Field 1 sent as a varint (wrong wire type): protobuf keeps it as an unknown field, so no request.
        (b"\x08\x96\x01", "MISSING_REQUEST"),
        # content sent as a varint inside the request: an empty message.
        (b"\x0a\x02\x20\x01", "EMPTY_CONTENT"),
    ],
)
def test_undecodable_or_wrong_typed_bytes_are_invalid_argument(abi: AbiUnderTest, raw: bytes, reason: str) -> None:
    call = abi.channel.unary_unary(ROUTE, request_serializer=lambda b: b, response_deserializer=lambda b: b)
    _expect_invalid(lambda: call(raw, timeout=5), reason)


def test_check_policy_and_sentiment_reject_bad_text(abi: AbiUnderTest) -> None:
    _expect_invalid(
        lambda: abi.stub.CheckPolicy(abi_service_pb2.CheckPolicyRequest(text=""), timeout=5), "EMPTY_CONTENT"
    )
    _expect_invalid(
        lambda: abi.stub.CheckPolicy(
            abi_service_pb2.CheckPolicyRequest(text="hi", direction=abi_service_pb2.Direction.ValueType(7)), timeout=5
        ),
        "UNKNOWN_DIRECTION",
    )
    _expect_invalid(
        lambda: abi.stub.AnalyzeSentiment(abi_service_pb2.AnalyzeSentimentRequest(text="y" * 40_000), timeout=5),
        "CONTENT_TOO_LONG",
    )


def test_rules_documents_that_are_not_yaml_or_too_large(abi: AbiUnderTest) -> None:
    reply = abi.stub.ValidateRules(
        abi_service_pb2.ValidateRulesRequest(yaml="rules: [unclosed"), metadata=admin(), timeout=5
    )
    assert not reply.valid and "not valid YAML" in reply.errors[0].message and reply.errors[0].line >= 1
    reply = abi.stub.ValidateRules(abi_service_pb2.ValidateRulesRequest(yaml=""), metadata=admin(), timeout=5)
    assert not reply.valid
    _expect_invalid(
        lambda: abi.stub.ValidateRules(
            abi_service_pb2.ValidateRulesRequest(yaml="#" * 300_000), metadata=admin(), timeout=5
        ),
        "RULES_TOO_LARGE",
    )


def test_long_but_valid_input_is_answered_quickly(abi: AbiUnderTest) -> None:
    text = ("Here is my log: " + "ERROR connection reset by peer; retrying. " * 700)[:31_000]
    decision = abi.stub.Route(route_request(text), timeout=5).decision
    assert decision.persona in (persona_pb2.PERSONA_AVIVA, persona_pb2.PERSONA_ABBEY)
