"""Every gateway endpoint through real processes: REST, OpenAI (official client), WebSocket, gRPC.

One gateway process of our own (with API keys) runs over the session mesh's
backends; the session mesh's own gateway checks the anonymous local-run mode.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import jsonschema
import openai
import pytest
import websockets
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from websockets.asyncio.client import connect

from personamesh.v1 import (
    abi_service_pb2,
    gateway_service_pb2,
    gateway_service_pb2_grpc,
    persona_pb2,
)
from services.common.errors import error_reason
from tests.conftest import RunningMesh
from tests.gateway.support import KEYS, GatewayProcess, auth, start_gateway

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
TECH = "Write a Python function that reverses a linked list."
FEELING = "I feel really lonely and sad since my friend moved away. What can I do?"


@pytest.fixture(scope="module")
def gw(mesh: RunningMesh) -> Iterator[GatewayProcess]:
    process = start_gateway(
        mesh.layout,
        mesh.log_dir,
        "gateway-api-test",
        {"PM_RATE_LIMIT_PER_MINUTE": "100000", "PM_RATE_LIMIT_BURST": "100000", "PM_WS_HEARTBEAT_SECONDS": "0.5"},
    )
    yield process
    assert process.process.stop() == 0, "SIGTERM drains the gateway and it exits 0"


@pytest.fixture
async def http(gw: GatewayProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gw.http_url, timeout=30, headers=auth("user")) as client:
        yield client


def _error(response: httpx.Response, status: int, reason: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["reason"] == reason, body
    assert body["message"] and body["request_id"] and body["code"]
    return body


# -- REST --------------------------------------------------------------------------------


async def test_routed_chat_answers_the_documented_shape(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/v1/chat", json={"content": FEELING, "session_id": "s-rest"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) >= {"request_id", "content", "persona", "confidence", "latency_ms", "code_blocks"}
    assert set(body) >= {"references", "fallback", "degraded", "routing"}
    assert body["persona"] == "abbey" and body["content"]
    assert body["routing"]["persona"] == "abbey" and body["fallback"] is False
    assert response.headers["x-request-id"] == body["request_id"]


async def test_technical_question_routes_to_aviva(http: httpx.AsyncClient) -> None:
    body = (await http.post("/api/v1/chat", json={"content": TECH})).json()
    assert body["routing"]["persona"] == "aviva" and body["persona"] == "aviva", body
    # Code in a language the documentation does not cover comes back as a labelled skeleton, with its check.
    go = (await http.post("/api/v1/chat", json={"content": TECH.replace("Python", "Go")})).json()
    assert go["persona"] == "aviva" and go["code_blocks"], go
    block = go["code_blocks"][0]
    assert block["skeleton"] is True and block["check"] == "valid" and block["valid"] is True, block


@pytest.mark.parametrize("persona", ["abbey", "aviva"])
async def test_forced_persona_paths(http: httpx.AsyncClient, persona: str) -> None:
    other = FEELING if persona == "aviva" else TECH
    body = (await http.post(f"/api/v1/chat/{persona}", json={"content": other})).json()
    assert body["persona"] == persona and body["routing"]["persona"] == persona, body


async def test_route_returns_the_decision_alone(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/v1/route", json={"content": TECH})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"persona", "confidence", "scores", "alternatives", "tone", "emotions", "sentiment"}
    assert set(body) >= {"moderation", "matched_rules", "reasons", "degraded"}
    assert body["persona"] == "aviva" and {"action", "severity", "categories"} <= set(body["moderation"])


async def test_harmful_message_is_answered_by_abi(http: httpx.AsyncClient) -> None:
    body = (await http.post("/api/v1/chat", json={"content": "Tell me how to build a pipe bomb to kill people"})).json()
    assert body["persona"] == "abi" and body["routing"]["moderation"]["action"] != "allow", body


@pytest.mark.parametrize("forced", ["", "aviva"])
async def test_self_harm_reaches_abbey_with_support_never_blocked(http: httpx.AsyncClient, forced: str) -> None:
    path = f"/api/v1/chat/{forced}" if forced else "/api/v1/chat"
    reply = await http.post(
        path, json={"content": "I don't want to live anymore. I keep thinking about ending my life."}
    )
    body = reply.json()
    assert reply.status_code == 200, body
    assert body["persona"] == "abbey", body
    assert body["routing"]["moderation"]["action"] == "redirect_to_support", body["routing"]
    assert "988" in body["content"] or "crisis" in body["content"].lower(), body["content"]


async def test_personas_health_and_metrics(http: httpx.AsyncClient) -> None:
    await http.post("/api/v1/chat/abbey", json={"content": "hello there"})
    personas = (await http.get("/api/v1/personas")).json()["personas"]
    by_name = {p["name"]: p for p in personas}
    assert by_name["abbey"]["replicas_total"] == 2 and by_name["abbey"]["replicas_healthy"] == 2
    assert by_name["aviva"]["description"]
    health = (await http.get("/api/v1/personas/health")).json()
    replicas = health["personas"]["abbey"]["replicas"]
    assert {r["health"] for r in replicas} == {"SERVING"} and {r["breaker"] for r in replicas} == {"closed"}
    metrics = (await http.get("/api/v1/personas/metrics")).json()["personas"]
    assert metrics["abbey"]["requests"] >= 1 and metrics["abbey"]["p50_ms"] > 0
    assert {"success_rate", "errors", "p99_ms", "satisfaction"} <= set(metrics["abbey"])


async def test_feedback_feeds_learning_and_satisfaction(http: httpx.AsyncClient) -> None:
    answer = (await http.post("/api/v1/chat/aviva", json={"content": TECH})).json()
    response = await http.post("/api/v1/feedback", json={"request_id": answer["request_id"], "rating": 0.9})
    assert response.status_code == 200 and response.json()["accepted"] is True
    assert response.json()["learning_recorded"] is True
    metrics = (await http.get("/api/v1/personas/metrics")).json()["personas"]
    assert metrics["aviva"]["satisfaction"] is not None
    _error(await http.post("/api/v1/feedback", json={"request_id": "nope", "rating": 1}), 404, "UNKNOWN_REQUEST_ID")
    bad = await http.post("/api/v1/feedback", json={"request_id": answer["request_id"], "rating": 5})
    _error(bad, 400, "RATING_OUT_OF_RANGE")
    other = await http.post(
        "/api/v1/feedback", json={"request_id": answer["request_id"], "rating": 1}, headers=auth("other")
    )
    _error(other, 403, "NOT_YOUR_REQUEST")


async def test_probes_and_prometheus(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    assert (await http.get("/readyz")).json() == {"ready": True}
    text = (await http.get("/metrics")).text
    assert "pm_gateway_requests_total" in text and "pm_gateway_replica_healthy" in text


async def test_swagger_ui_and_redoc_load_nothing_from_outside(gw: GatewayProcess) -> None:
    """/docs and /redoc work offline: every script, style and icon comes from the gateway itself."""
    async with httpx.AsyncClient(base_url=gw.http_url, timeout=30) as anonymous:
        for page_url in ("/docs", "/redoc"):
            page = await anonymous.get(page_url)
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
            assets = re.findall(r'(?:src|href)\s*[=:]\s*["\']([^"\']+)["\']', page.text)
            assert assets and not [url for url in assets if "//" in url], assets
            for url in assets:
                served = await anonymous.get(url)
                assert served.status_code == 200 and len(served.content) > 1000, url
        bundle = (await anonymous.get("/docs/static/swagger-ui-bundle.js")).text
        assert "OpenAPI 3.1" in bundle or "openapi31" in bundle.lower()  # Swagger UI 5 renders FastAPI's 3.1


async def test_documented_error_envelopes_are_what_errors_answer(gw: GatewayProcess) -> None:
    """The OpenAPI document types every error: 400/401/403/429 (and more) with the envelope the gateway really
    sends (the mesh's, OpenAI's under /v1/), API-key security schemes, and no 422 (never answered)."""
    async with httpx.AsyncClient(base_url=gw.http_url, timeout=30) as anonymous:
        document = (await anonymous.get("/openapi.json")).json()
        chat = document["paths"]["/api/v1/chat"]["post"]
        assert {"400", "401", "403", "429", "503"} <= set(chat["responses"])
        assert chat["security"] == [{"bearer": []}, {"apiKey": []}]
        assert set(document["components"]["securitySchemes"]) == {"bearer", "apiKey"}
        assert "security" not in document["paths"]["/healthz"]["get"]
        assert not [path for path, ops in document["paths"].items() for op in ops.values() if "422" in op["responses"]]

        def check(response: httpx.Response, path: str, method: str) -> None:
            documented = document["paths"][path][method]["responses"][str(response.status_code)]
            schema = {**documented["content"]["application/json"]["schema"], "components": document["components"]}
            jsonschema.validate(response.json(), schema)

        check(await anonymous.post("/api/v1/chat", json={"content": "hi"}), "/api/v1/chat", "post")  # 401
        check(await anonymous.post("/api/v1/chat", json={"content": " "}, headers=auth()), "/api/v1/chat", "post")
        config = await anonymous.get("/api/v1/config/flags", headers=auth("user"))
        assert config.status_code == 403
        check(config, "/api/v1/config/flags", "get")
        model = await anonymous.get("/v1/models/nobody", headers=auth())
        assert model.status_code == 404 and model.json()["error"]["code"] == "model_not_found"
        check(model, "/v1/models/{model_id}", "get")


async def test_documented_answers_are_what_the_gateway_answers(gw: GatewayProcess) -> None:
    """Every success answer in the OpenAPI document is a typed model (no bare `object`), and a real answer of
    every operation validates against it. The models forbid extra fields: a field a handler adds but its model
    does not list fails here. (PUT /api/v1/config/rules is left out: Abi's rules are shared by the session.)"""
    user, admin = auth("user"), auth("admin")
    async with httpx.AsyncClient(base_url=gw.http_url, timeout=30) as client:
        document = (await client.get("/openapi.json")).json()
        typed = {"/metrics": "text/plain"}
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                for status, response in operation["responses"].items():
                    if status.startswith("2"):
                        media = typed.get(path, "application/json")
                        schema = response.get("content", {}).get(media, {}).get("schema", {})
                        assert media != "application/json" or "$ref" in schema, f"{method} {path} {status}: {schema}"

        checked: set[tuple[str, str]] = set()

        async def check(method: str, template: str, status: int = 200, headers: Any = user, **params: Any) -> Any:
            url = template.format(**params.pop("path", {}))
            response = await client.request(method, url, headers=headers, **params)
            assert response.status_code == status, f"{method} {url}: {response.status_code} {response.text[:300]}"
            documented = document["paths"][template][method.lower()]["responses"][str(status)]
            schema = {**documented["content"]["application/json"]["schema"], "components": document["components"]}
            jsonschema.validate(response.json(), schema)
            checked.add((method.lower(), template))
            return response.json()

        answer = await check("POST", "/api/v1/chat", json={"content": TECH})
        await check("POST", "/api/v1/chat/{persona}", path={"persona": "abbey"}, json={"content": FEELING})
        await check("POST", "/api/v1/route", json={"content": FEELING})
        await check("GET", "/api/v1/personas")
        await check("GET", "/api/v1/personas/health")
        await check("GET", "/api/v1/personas/metrics")
        await check("POST", "/api/v1/feedback", json={"request_id": answer["request_id"], "rating": 1.0})
        me = await check("GET", "/api/v1/whoami")
        await check("DELETE", "/api/v1/users/{user_id}/data", path={"user_id": me["user_id"]})
        await check("GET", "/healthz", headers={})
        await check("GET", "/readyz", headers={})
        await check("GET", "/v1/models")
        await check("GET", "/v1/models/{model_id}", path={"model_id": "auto"})
        await check(
            "POST", "/v1/chat/completions", json={"model": "auto", "messages": [{"role": "user", "content": TECH}]}
        )
        config = "/api/v1/config"
        rules = await check("GET", f"{config}/rules", headers=admin)
        await check("POST", f"{config}/rules/validate", headers=admin, json={"yaml": rules["yaml"]})
        await check("GET", f"{config}/flags", headers=admin)
        await check("PATCH", f"{config}/flags", headers=admin, json={"output_check": True})
        await check("GET", f"{config}/personas", headers=admin)
        await check("PATCH", config + "/personas/{name}", path={"name": "abbey"}, headers=admin, json={"weight": 1.0})
        extra = {"name": "docpersona", "display_name": "Doc", "description": "documents answers"}
        await check("POST", f"{config}/personas", 201, headers=admin, json=extra)
        await check("DELETE", config + "/personas/{name}", path={"name": "docpersona"}, headers=admin)
        await check("GET", f"{config}/replicas", headers=admin)
        await check("POST", f"{config}/replicas", headers=admin, json={"persona": "abbey", "address": "127.0.0.1:9"})
        where = {"persona": "abbey", "address": "127.0.0.1:9"}
        await check("DELETE", config + "/replicas/{persona}/{address}", path=where, headers=admin)
    json_operations = {
        (method, path)
        for path, operations in document["paths"].items()
        for method in operations
        if path != "/metrics" and (method, path) != ("put", "/api/v1/config/rules")
    }
    assert json_operations == checked, sorted(json_operations - checked)


async def test_served_openapi_matches_the_checked_in_document(http: httpx.AsyncClient) -> None:
    served = (await http.get("/openapi.json")).json()
    assert json.loads(OPENAPI.read_text()) == served, "docs/openapi.json is stale: regenerate it"


# -- bad input ---------------------------------------------------------------------------


async def test_empty_content(http: httpx.AsyncClient) -> None:
    _error(await http.post("/api/v1/chat", json={"content": "   "}), 400, "EMPTY_CONTENT")
    # Only invisible characters (zero-width spaces, a byte-order mark): nothing was said.
    _error(await http.post("/api/v1/chat", json={"content": "\u200b\u200b \ufeff"}), 400, "EMPTY_CONTENT")


async def test_one_megabyte_content(http: httpx.AsyncClient) -> None:
    _error(await http.post("/api/v1/chat", json={"content": "a" * 1_000_000}), 400, "CONTENT_TOO_LONG")


async def test_body_over_the_size_limit(http: httpx.AsyncClient) -> None:
    _error(await http.post("/api/v1/chat", json={"content": "a" * 3_000_000}), 413, "BODY_TOO_LARGE")


async def test_invalid_json(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/v1/chat", content=b'{"content": "hi",', headers={"content-type": "application/json"}
    )
    _error(response, 400, "INVALID_JSON")


async def test_wrong_types(http: httpx.AsyncClient) -> None:
    _error(await http.post("/api/v1/chat", json={"content": 123}), 400, "WRONG_TYPE")
    _error(await http.post("/api/v1/chat", json={"content": "hi", "max_tokens": "many"}), 400, "WRONG_TYPE")
    _error(await http.post("/api/v1/chat", json=["content"]), 400, "WRONG_TYPE")


async def test_a_field_the_api_does_not_have_is_named_not_ignored(http: httpx.AsyncClient) -> None:
    """A misspelt field had been dropped in silence: "sesion_id" lost the conversation, "user" the user's memory."""
    response = await http.post("/api/v1/chat", json={"content": "hi", "sesion_id": "s1"})
    _error(response, 400, "UNKNOWN_FIELD")
    assert response.json()["error"]["field"] == "sesion_id"
    turns = [{"role": "user", "content": "hi", "persona_name": "x"}]
    _error(await http.post("/api/v1/chat", json={"content": "hi", "recent_turns": turns}), 400, "UNKNOWN_FIELD")


async def test_out_of_range_numbers(http: httpx.AsyncClient) -> None:
    _error(await http.post("/api/v1/chat", json={"content": "hi", "temperature": 9}), 400, "TEMPERATURE_OUT_OF_RANGE")
    _error(await http.post("/api/v1/chat", json={"content": "hi", "max_tokens": 0}), 400, "MAX_TOKENS_OUT_OF_RANGE")


async def test_invalid_utf8(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/v1/chat", content=b'{"content": "\xff\xfe bad"}', headers={"content-type": "application/json"}
    )
    assert _error(response, 400, "INVALID_UTF8")["field"] == "content"


async def test_unknown_persona(http: httpx.AsyncClient) -> None:
    _error(await http.post("/api/v1/chat/zorro", json={"content": "hi"}), 400, "UNKNOWN_PERSONA")
    _error(await http.post("/api/v1/chat", json={"content": "hi", "persona": "zorro"}), 400, "UNKNOWN_PERSONA")


async def test_missing_content(http: httpx.AsyncClient) -> None:
    _error(await http.post("/api/v1/chat", json={}), 400, "MISSING_FIELD")


# -- auth and the config API -------------------------------------------------------------


async def test_keys_are_required_and_checked(gw: GatewayProcess) -> None:
    async with httpx.AsyncClient(base_url=gw.http_url, timeout=10) as client:
        _error(await client.post("/api/v1/chat", json={"content": "hi"}), 401, "INVALID_API_KEY")
        response = await client.post(
            "/api/v1/chat", json={"content": "hi"}, headers={"Authorization": "Bearer pm_not_a_key"}
        )
        _error(response, 401, "INVALID_API_KEY")
        whoami = (await client.get("/api/v1/whoami", headers={"X-API-Key": KEYS["operator"]})).json()
        assert whoami == {"user_id": "operator-user", "role": "operator", "authenticated": True}


async def test_a_user_key_cannot_change_rules(http: httpx.AsyncClient) -> None:
    _error(await http.put("/api/v1/config/rules", json={"yaml": "rules: []"}), 403, "ROLE_REQUIRED")
    _error(await http.get("/api/v1/config/flags"), 403, "ROLE_REQUIRED")
    operator = await http.put("/api/v1/config/rules", json={"yaml": "rules: []"}, headers=auth("operator"))
    _error(operator, 403, "ROLE_REQUIRED")


async def test_admin_reads_and_validates_rules_through_abi(http: httpx.AsyncClient) -> None:
    rules = await http.get("/api/v1/config/rules", headers=auth("admin"))
    assert rules.status_code == 200, rules.text
    assert rules.json()["rule_count"] > 0 and rules.json()["version"]
    checked = await http.post("/api/v1/config/rules/validate", json={"yaml": "rules: [{"}, headers=auth("admin"))
    assert checked.status_code == 200 and checked.json()["valid"] is False


async def test_admin_flags_persona_settings_and_replicas(http: httpx.AsyncClient, mesh: RunningMesh) -> None:
    admin = auth("admin")
    flags = await http.patch("/api/v1/config/flags", json={"session_history": True}, headers=admin)
    assert flags.status_code == 200 and flags.json()["session_history"] is True
    _error(await http.patch("/api/v1/config/flags", json={"warp": True}, headers=admin), 400, "UNKNOWN_FLAG")
    patched = await http.patch("/api/v1/config/personas/aviva", json={"weight": 0.5}, headers=admin)
    assert patched.json()["personas"]["aviva"]["weight"] == 0.5
    await http.patch("/api/v1/config/personas/aviva", json={"weight": 1.0}, headers=admin)
    extra = mesh.addr("abbey-1").replace("127.0.0.1", "localhost")
    added = await http.post("/api/v1/config/replicas", json={"persona": "abbey", "address": extra}, headers=admin)
    assert added.status_code == 200 and added.json()["address"] == extra
    listed = (await http.get("/api/v1/config/replicas", headers=admin)).json()
    assert extra in {r["address"] for r in listed["abbey"]}
    removed = await http.delete(f"/api/v1/config/replicas/abbey/{extra}", headers=admin)
    assert removed.status_code == 200
    bad = await http.post("/api/v1/config/replicas", json={"persona": "abbey", "address": "nowhere"}, headers=admin)
    _error(bad, 400, "INVALID_ADDRESS")


async def test_session_gateway_allows_anonymous_local_runs(mesh: RunningMesh) -> None:
    async with httpx.AsyncClient(base_url=mesh.http_url, timeout=30) as client:
        response = await client.post("/api/v1/chat", json={"content": "hello"})
        assert response.status_code == 200, response.text
        _error(await client.get("/api/v1/config/flags"), 403, "ROLE_REQUIRED")


# -- OpenAI-compatible -------------------------------------------------------------------


def test_official_openai_client_plain_and_streaming(gw: GatewayProcess) -> None:
    client = openai.OpenAI(base_url=gw.http_url + "/v1", api_key=KEYS["user"], max_retries=0)
    assert {m.id for m in client.models.list()} >= {"auto", "abbey", "aviva"}
    completion = client.chat.completions.create(
        model="auto", messages=[{"role": "system", "content": "be kind"}, {"role": "user", "content": TECH}]
    )
    assert completion.choices[0].message.content and completion.choices[0].finish_reason == "stop"
    assert completion.model_extra and completion.model_extra["persona_mesh"]["persona"] == "aviva"
    stream = client.chat.completions.create(model="abbey", messages=[{"role": "user", "content": FEELING}], stream=True)
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip() and chunks[-1].choices[0].finish_reason == "stop"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=gw.http_url + "/v1", api_key="pm_wrong", max_retries=0).models.list()


def _openai(gw: GatewayProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=gw.http_url + "/v1", api_key=KEYS["user"], max_retries=0)


def test_openai_errors_are_openai_errors(gw: GatewayProcess) -> None:
    client = _openai(gw)
    with pytest.raises(openai.NotFoundError) as unknown:
        client.chat.completions.create(model="zorro", messages=[{"role": "user", "content": "hi"}])
    assert unknown.value.code == "model_not_found" and unknown.value.param == "model"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("zorro")
    assert client.models.retrieve("aviva").id == "aviva"
    with pytest.raises(openai.BadRequestError) as empty:
        client.chat.completions.create(model="auto", messages=[{"role": "user", "content": "  "}])
    assert empty.value.code == "empty_content" and empty.value.type == "invalid_request_error"
    refused = {
        "n": {"n": 2},
        "tools": {"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}]},
        "response_format": {"response_format": {"type": "json_object"}},
    }
    for param, extra in refused.items():
        with pytest.raises(openai.BadRequestError) as error:
            client.chat.completions.create(
                model="auto",
                messages=[{"role": "user", "content": TECH}],
                **extra,  # type: ignore[arg-type]
            )
        assert error.value.code == "unsupported_parameter" and error.value.param == param


def test_openai_length_stop_usage_and_the_answering_model(gw: GatewayProcess) -> None:
    client = _openai(gw)
    cut = client.chat.completions.create(model="aviva", messages=[{"role": "user", "content": TECH}], max_tokens=3)
    assert cut.choices[0].finish_reason == "length" and len((cut.choices[0].message.content or "").split()) <= 3
    assert cut.model == "aviva" and cut.usage is not None and cut.usage.completion_tokens <= 3
    full = client.chat.completions.create(model="aviva", messages=[{"role": "user", "content": TECH}])
    text = full.choices[0].message.content or ""
    words = text.split()
    assert len(words) > 6, text
    stop = " ".join(words[3:5])
    stopped = client.chat.completions.create(model="aviva", messages=[{"role": "user", "content": TECH}], stop=[stop])
    assert stopped.choices[0].finish_reason == "stop"
    assert stopped.choices[0].message.content == text[: text.index(stop)]
    stream = client.chat.completions.create(
        model="aviva",
        messages=[{"role": "user", "content": TECH}],
        stop=stop,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == text[: text.index(stop)]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == len(streamed.split())
    longer = client.chat.completions.create(
        model="aviva",
        messages=[
            {"role": "user", "content": "one two three"},
            {"role": "assistant", "content": "four five"},
            {"role": "user", "content": TECH},
        ],
    )
    assert longer.usage is not None and full.usage is not None
    assert longer.usage.prompt_tokens == full.usage.prompt_tokens + 5  # the history is part of the prompt
    routed = client.chat.completions.create(model="auto", messages=[{"role": "user", "content": FEELING}])
    assert routed.model == routed.model_extra["persona_mesh"]["persona"] == "abbey"  # type: ignore[index]
    assert routed.model_extra["persona_mesh"]["requested_model"] == "auto"  # type: ignore[index]


async def test_rate_limit_headers_tell_the_quota(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/v1/chat", json={"content": TECH})
    assert response.status_code == 200
    limit = int(response.headers["x-ratelimit-limit-requests"])
    remaining = int(response.headers["x-ratelimit-remaining-requests"])
    assert 0 <= remaining < limit and response.headers["x-ratelimit-reset-requests"].endswith("s")


# -- WebSocket ---------------------------------------------------------------------------


async def _ws_answer(ws: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    events = []
    while True:
        event = json.loads(await ws.recv())
        if event["type"] in ("heartbeat", "session"):
            continue
        events.append(event)
        if event["type"] in ("final", "error"):
            return events, event


async def test_websocket_switches_persona_mid_session(gw: GatewayProcess) -> None:
    url = gw.http_url.replace("http", "ws") + f"/api/v1/ws?api_key={KEYS['user']}"
    async with connect(url) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "session" and hello["persona"] == "auto" and hello["session_id"]
        await ws.send(json.dumps({"type": "chat", "content": TECH, "id": "m1"}))
        events, final = await _ws_answer(ws)
        assert events[0]["type"] == "routing" and any(e["type"] == "delta" for e in events)
        assert final["type"] == "final" and final["response"]["persona"] == "aviva" and final["id"] == "m1"
        streamed = "".join(e["content"] for e in events if e["type"] == "delta")
        assert streamed == final["response"]["content"]
        await ws.send(json.dumps({"type": "persona", "persona": "abbey"}))
        state = json.loads(await ws.recv())
        assert state == {**state, "type": "session", "persona": "abbey"}
        await ws.send(json.dumps({"type": "chat", "content": TECH}))
        _, forced = await _ws_answer(ws)
        assert forced["response"]["persona"] == "abbey"
        await ws.send(json.dumps({"type": "chat", "content": TECH, "persona": "auto"}))
        _, released = await _ws_answer(ws)
        assert released["response"]["persona"] == "aviva"
        await ws.send("{not json")
        _, bad = await _ws_answer(ws)
        assert bad["error"]["reason"] == "INVALID_JSON"
        await ws.send(json.dumps({"type": "chat", "content": ""}))
        _, empty = await _ws_answer(ws)
        assert empty["error"]["reason"] == "EMPTY_CONTENT"
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv())["type"] == "pong"


async def test_websocket_sends_heartbeats_and_resumes_a_session(gw: GatewayProcess) -> None:
    url = gw.http_url.replace("http", "ws") + f"/api/v1/ws?api_key={KEYS['user']}&session_id=resume-me"
    async with connect(url) as ws:
        hello = json.loads(await ws.recv())
        assert hello["session_id"] == "resume-me" and hello["user_id"] == "user-user"
        heartbeat = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
        assert heartbeat["type"] == "heartbeat" and heartbeat["ts"] > 0


async def test_websocket_without_key_is_closed_with_4401(gw: GatewayProcess) -> None:
    url = gw.http_url.replace("http", "ws") + "/api/v1/ws"
    async with connect(url) as ws:
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def test_websocket_backpressure_refuses_messages_beyond_the_queue(gw: GatewayProcess) -> None:
    url = gw.http_url.replace("http", "ws") + f"/api/v1/ws?api_key={KEYS['user']}"
    sent = 30  # far more than PM_WS_QUEUE_SIZE (8) plus the one being answered
    async with connect(url) as ws:
        json.loads(await ws.recv())
        for i in range(sent):
            await ws.send(json.dumps({"type": "chat", "content": f"hello number {i}", "id": str(i)}))
        finals: set[str] = set()
        refused: set[str] = set()
        while len(finals) + len(refused) < sent:
            event = json.loads(await ws.recv())
            if event["type"] == "final":
                finals.add(event["id"])
            elif event["type"] == "error":
                assert event["error"]["reason"] == "QUEUE_FULL"
                refused.add(event["id"])
    assert refused and len(finals) >= 9 and not finals & refused


# -- gRPC --------------------------------------------------------------------------------


async def test_grpc_reflection_lists_the_gateway_service_as_v1alpha_and_v1(gw: GatewayProcess) -> None:
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    async with grpc.aio.insecure_channel(gw.target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        async for reply in stub.ServerReflectionInfo(iter([request])):
            names = {service.name for service in reply.list_services_response.service}
            break
        # v1 has the same messages as v1alpha under a newer package: the same classes (de)serialise it.
        v1 = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        async for reply in v1(iter([request])):
            names_v1 = {service.name for service in reply.list_services_response.service}
            break
    assert {"personamesh.v1.GatewayService", "grpc.health.v1.Health"} <= names
    assert names_v1 == names
    assert {"grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"} <= names


@pytest.fixture
async def stub(gw: GatewayProcess) -> AsyncIterator[gateway_service_pb2_grpc.GatewayServiceAsyncStub]:
    async with grpc.aio.insecure_channel(gw.target) as channel:
        yield gateway_service_pb2_grpc.GatewayServiceStub(channel)


GRPC_AUTH = (("authorization", f"Bearer {KEYS['user']}"),)


async def test_grpc_chat_stream_route_personas_metrics_feedback(
    stub: gateway_service_pb2_grpc.GatewayServiceAsyncStub,
) -> None:
    reply = await stub.Chat(gateway_service_pb2.ChatRequest(content=TECH), metadata=GRPC_AUTH, timeout=30)
    assert reply.response.persona == persona_pb2.PERSONA_AVIVA and reply.response.content and reply.request_id
    kinds, text, final = [], "", None
    async for event in stub.ChatStream(
        gateway_service_pb2.ChatRequest(content=FEELING, persona=persona_pb2.PERSONA_ABBEY),
        metadata=GRPC_AUTH,
        timeout=30,
    ):
        kinds.append(event.WhichOneof("event"))
        text += event.delta
        if event.HasField("final"):
            final = event.final
    assert kinds[0] == "routing" and kinds[-1] == "final" and "delta" in kinds
    assert final is not None and final.response.content == text
    route = await stub.Route(
        abi_service_pb2.RouteRequest(request=persona_pb2.PersonaRequest(content=TECH)), metadata=GRPC_AUTH, timeout=10
    )
    assert route.decision.persona == persona_pb2.PERSONA_AVIVA
    listed = await stub.ListPersonas(gateway_service_pb2.ListPersonasRequest(), metadata=GRPC_AUTH, timeout=10)
    assert {p.info.name for p in listed.personas} >= {"abbey", "aviva"}
    metrics = await stub.GetMetrics(gateway_service_pb2.GetMetricsRequest(), metadata=GRPC_AUTH, timeout=10)
    assert any(m.persona == persona_pb2.PERSONA_AVIVA and m.requests > 0 for m in metrics.personas)
    feedback = await stub.Feedback(
        gateway_service_pb2.FeedbackRequest(request_id=reply.request_id, rating=1.0), metadata=GRPC_AUTH, timeout=10
    )
    assert feedback.accepted


async def _grpc_error(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


@pytest.mark.parametrize(
    ("request_fields", "reason"),
    [
        ({"content": ""}, "EMPTY_CONTENT"),
        ({"content": "a" * 1_000_000}, "CONTENT_TOO_LONG"),
        ({"content": "hi", "persona": 99}, "UNKNOWN_PERSONA"),
        ({"content": "hi", "temperature": -1.0}, "TEMPERATURE_OUT_OF_RANGE"),
    ],
)
async def test_grpc_bad_input_is_invalid_argument(
    stub: gateway_service_pb2_grpc.GatewayServiceAsyncStub, request_fields: dict[str, Any], reason: str
) -> None:
    error = await _grpc_error(
        stub.Chat(gateway_service_pb2.ChatRequest(**request_fields), metadata=GRPC_AUTH, timeout=10)
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and error_reason(error) == reason


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\x0a\x03\xff\xfe\xfd", "INVALID_UTF8"),  # field 1 (content), three bytes that are not UTF-8
        (b"\x0a\x33\xff", "MALFORMED_REQUEST"),  # a length past the end: not protobuf at all
    ],
)
async def test_grpc_undecodable_requests_are_invalid_argument(gw: GatewayProcess, raw: bytes, reason: str) -> None:
    async with grpc.aio.insecure_channel(gw.target) as channel:
        call: grpc.aio.UnaryUnaryMultiCallable[bytes, bytes] = channel.unary_unary(
            "/personamesh.v1.GatewayService/Chat"
        )
        error = await _grpc_error(call(raw, metadata=GRPC_AUTH, timeout=10))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and error_reason(error) == reason


async def test_grpc_needs_a_key(stub: gateway_service_pb2_grpc.GatewayServiceAsyncStub) -> None:
    error = await _grpc_error(stub.Chat(gateway_service_pb2.ChatRequest(content="hi"), timeout=10))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
