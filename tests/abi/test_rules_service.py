"""Rule management over gRPC: roles, validation with locations, replace, version checks, hot reload."""

from __future__ import annotations

import time

import grpc
import pytest

from personamesh.v1 import abi_service_pb2, persona_pb2
from services.common.errors import error_info, error_reason
from tests.abi.conftest import AbiUnderTest
from tests.abi.helpers import persona_name, route_request, wait_for
from tests.signing import admin, signed

FORCE_AVIVA_ON_PINEAPPLE = """
version: 1
rules:
  - name: pineapple_to_aviva
    priority: 10
    when: {keywords: [pineapple]}
    then: {force: aviva}
"""


def _route(abi: AbiUnderTest, text: str) -> persona_pb2.RoutingDecision:
    return abi.stub.Route(route_request(text), timeout=10).decision


@pytest.mark.parametrize("role", ["", "user", "viewer"])
def test_rule_rpcs_need_operator_or_admin(abi: AbiUnderTest, role: str) -> None:
    """A role the gateway signed that may not manage rules is PERMISSION_DENIED (tests/foundation/
    test_internal_auth.py: an unsigned or forged role is UNAUTHENTICATED)."""
    metadata = signed("someone", role)
    calls = [
        lambda: abi.stub.GetRules(abi_service_pb2.GetRulesRequest(), metadata=metadata, timeout=5),
        lambda: abi.stub.ValidateRules(
            abi_service_pb2.ValidateRulesRequest(yaml="rules: []"), metadata=metadata, timeout=5
        ),
        lambda: abi.stub.ReplaceRules(
            abi_service_pb2.ReplaceRulesRequest(yaml="rules: []"), metadata=metadata, timeout=5
        ),
    ]
    for call in calls:
        with pytest.raises(grpc.RpcError) as error:
            call()
        assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert error_reason(error.value) == "ROLE_REQUIRED"


def test_validate_locates_an_unknown_condition(abi: AbiUnderTest) -> None:
    bad = "version: 1\nrules:\n  - name: r\n    priority: 1\n    when:\n      mood: grumpy\n    then: {force: aviva}\n"
    reply = abi.stub.ValidateRules(
        abi_service_pb2.ValidateRulesRequest(yaml=bad), metadata=signed("ops", "operator"), timeout=5
    )
    assert not reply.valid
    error = reply.errors[0]
    assert (error.path, error.rule_name, error.line) == ("/rules/0/when/mood", "r", 6)
    assert "unknown condition 'mood'" in error.message


def test_replace_invalid_keeps_old_rules_then_valid_replace_takes_effect(abi: AbiUnderTest) -> None:
    before = abi.stub.GetRules(abi_service_pb2.GetRulesRequest(), metadata=admin(), timeout=5)
    with pytest.raises(grpc.RpcError) as error:
        abi.stub.ReplaceRules(
            abi_service_pb2.ReplaceRulesRequest(yaml="rules:\n  - name: x\n"), metadata=admin(), timeout=5
        )
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_reason(error.value) == "RULES_INVALID"
    info = error_info(error.value)
    assert info is not None and info.metadata["path"].startswith("/rules/0")
    assert abi.stub.GetRules(abi_service_pb2.GetRulesRequest(), metadata=admin(), timeout=5).version == before.version

    with pytest.raises(grpc.RpcError) as conflict:
        abi.stub.ReplaceRules(
            abi_service_pb2.ReplaceRulesRequest(yaml=FORCE_AVIVA_ON_PINEAPPLE, expected_version="0000"),
            metadata=admin(),
            timeout=5,
        )
    assert conflict.value.code() == grpc.StatusCode.ABORTED

    text = "I'm heartbroken, my pineapple plant died and I cried all night"
    assert persona_name(_route(abi, text).persona) == "abbey"
    try:
        reply = abi.stub.ReplaceRules(
            abi_service_pb2.ReplaceRulesRequest(yaml=FORCE_AVIVA_ON_PINEAPPLE, expected_version=before.version),
            metadata=admin(),
            timeout=5,
        )
        assert reply.rule_count == 1 and reply.version != before.version
        decision = _route(abi, text)
        assert persona_name(decision.persona) == "aviva"
        assert list(decision.matched_rules) == ["pineapple_to_aviva"]
        assert abi.rules_path.read_text() == FORCE_AVIVA_ON_PINEAPPLE  # persisted for restarts
    finally:
        abi.stub.ReplaceRules(abi_service_pb2.ReplaceRulesRequest(yaml=before.yaml), metadata=admin(), timeout=5)
    assert persona_name(_route(abi, text).persona) == "abbey"


def test_hot_reload_from_file_and_an_invalid_file_leaves_old_rules(abi: AbiUnderTest) -> None:
    original = abi.rules_path.read_text()
    text = "my pineapple smoothie recipe failed and I feel like such a failure"
    block_rule = original.replace(
        "rules:\n",
        "rules:\n  - name: block_pineapple\n    priority: 999\n"
        "    when: {keywords: [pineapple]}\n    then: {block: {reason: no fruit talk}}\n",
        1,
    )
    try:
        abi.rules_path.write_text(block_rule)
        assert wait_for(lambda: persona_name(_route(abi, text).persona) == "abi")
        blocked = _route(abi, text)
        assert blocked.moderation.action == persona_pb2.POLICY_ACTION_BLOCK
        assert "no fruit talk" in blocked.moderation.reasons
        version = abi.stub.GetRules(abi_service_pb2.GetRulesRequest(), metadata=admin(), timeout=5).version

        abi.rules_path.write_text(
            block_rule + "  - name: broken\n    priority: 1\n    when: {shoe_size: 9}\n    then: {force: aviva}\n"
        )
        time.sleep(1.0)  # several reload periods
        assert abi.stub.GetRules(abi_service_pb2.GetRulesRequest(), metadata=admin(), timeout=5).version == version
        assert persona_name(_route(abi, text).persona) == "abi"
    finally:
        abi.rules_path.write_text(original)
    assert wait_for(lambda: persona_name(_route(abi, text).persona) != "abi")
