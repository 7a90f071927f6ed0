"""The channels' service config retries UNAVAILABLE on the methods that are safe to run twice, and no others."""

from __future__ import annotations

import json

from google.protobuf import descriptor_pool

import personamesh.v1.gateway_service_pb2  # noqa: F401 - loads every contract into the default pool
from services.common.clients import SAFE_TO_RETRY, service_config

NEVER_RETRIED = {
    "personamesh.v1.AbiService": {"ReplaceRules"},
    "personamesh.v1.EmbeddingIndexService": {"StoreConversation", "UpsertKnowledge", "RecordOutcome"},
    "personamesh.v1.PersonaService": {"Chat", "ChatStream"},
    "personamesh.v1.GatewayService": {"Chat", "ChatStream", "Feedback"},
}


def _retried(config: str) -> dict[str, set[str]]:
    retried: dict[str, set[str]] = {}
    for method_config in json.loads(config)["methodConfig"]:
        if "retryPolicy" in method_config:
            assert method_config["retryPolicy"]["retryableStatusCodes"] == ["UNAVAILABLE"]
            for name in method_config["name"]:
                assert name.get("method"), "a retry policy for a whole service would retry its writes too"
                retried.setdefault(name["service"], set()).add(name["method"])
    return retried


def test_only_safe_methods_are_retried() -> None:
    retried = _retried(service_config(retry=True))
    for service, unsafe in NEVER_RETRIED.items():
        assert not retried.get(service, set()) & unsafe, service
    assert retried["personamesh.v1.AbiService"] >= {"Route", "CheckPolicy"}
    assert retried["personamesh.v1.EmbeddingIndexService"] >= {"Embed", "FindBestPersona", "SearchKnowledge"}
    assert retried["grpc.health.v1.Health"] == {"Check"}


def test_every_method_of_the_mesh_is_classified() -> None:
    """A new RPC must be put on one list or the other, on purpose."""
    pool = descriptor_pool.Default()
    for service in NEVER_RETRIED:
        methods = {m.name for m in pool.FindServiceByName(service).methods}
        assert methods == set(SAFE_TO_RETRY[service]) | NEVER_RETRIED[service], service


def test_no_retry_means_no_policy() -> None:
    assert _retried(service_config(retry=False)) == {}
