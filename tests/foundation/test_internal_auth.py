"""Internal authentication, on real processes: only what the gateway signed counts.

A small mesh on loopback (embedding index, Abi, one Abbey replica, a gateway with API
keys), every process given the same random secret by services/devmesh. The tests call
the internal services directly, as anyone who reaches their ports could, and check that:
a forged `x-pm-role: admin` gets no rule access; per-user index RPCs refuse callers
without a valid token; a token for one user cannot read, write or delete another's
data; an expired, re-signed or re-bound token is refused; a persona cannot be used to
reach a user's memory without that user's token; a process without the secret does not
start; and the gateway's own calls (signed per call, forwarded by Abi and the persona)
still work end to end.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import httpx
import pytest

from personamesh.v1 import abi_service_pb2, abi_service_pb2_grpc, persona_pb2, persona_service_pb2_grpc
from personamesh.v1 import embedding_index_service_pb2 as pb
from personamesh.v1 import embedding_index_service_pb2_grpc as index_grpc
from services.common.errors import error_reason
from services.common.internal_auth import InternalAuth
from services.devmesh.processes import ServiceProcess, free_port, mesh_secret
from services.devmesh.topology import MeshLayout
from tests.conftest import RunningMesh
from tests.gateway.support import auth, keys_env
from tests.signing import Metadata, admin, signed, token

ABBEY = persona_pb2.PERSONA_ABBEY
FORGED_ADMIN = (("x-pm-role", "admin"), ("x-pm-user", "ops"))
# The user the gateway's "user" test key belongs to (tests/gateway/support.py).
KEY_USER = "user-user"

Call = Callable[[], object]


@pytest.fixture(scope="module")
def small_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningMesh]:
    tmp = tmp_path_factory.mktemp("internal-auth")
    names = ("embeddings", "abi", "abbey-1", "gateway", "gateway-http")
    layout = MeshLayout(
        data_dir=tmp / "data",
        ports={name: free_port() for name in names},
        extra_env={"PM_KNOWLEDGE_SEED": "off"},
        metrics=False,
    )
    running = RunningMesh(layout, tmp / "logs")
    try:
        for group in layout.start_order():
            procs = [
                running.start(name, {**keys_env(), "PM_ALLOW_ANONYMOUS": "false"} if name == "gateway" else None)
                for name in group
            ]
            for proc in procs:
                proc.wait_serving(timeout=180)
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="module")
def abi(small_mesh: RunningMesh) -> Iterator[abi_service_pb2_grpc.AbiServiceStub]:
    with grpc.insecure_channel(small_mesh.addr("abi")) as channel:
        yield abi_service_pb2_grpc.AbiServiceStub(channel)


@pytest.fixture(scope="module")
def index(small_mesh: RunningMesh) -> Iterator[index_grpc.EmbeddingIndexServiceStub]:
    with grpc.insecure_channel(small_mesh.addr("embeddings")) as channel:
        yield index_grpc.EmbeddingIndexServiceStub(channel)


def refused(call: Call, code: grpc.StatusCode, reason: str, what: str = "") -> None:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    assert caught.value.code() == code, (what, caught.value)
    assert error_reason(caught.value) == reason, (what, error_reason(caught.value), caught.value.details())


def unauthenticated(call: Call, reason: str = "INTERNAL_TOKEN_MISSING", what: str = "") -> None:
    refused(call, grpc.StatusCode.UNAUTHENTICATED, reason, what)


def denied(call: Call, reason: str = "USER_MISMATCH", what: str = "") -> None:
    refused(call, grpc.StatusCode.PERMISSION_DENIED, reason, what)


def store(index: index_grpc.EmbeddingIndexServiceStub, user: str, message: str) -> str:
    record = pb.ConversationRecord(user_id=user, persona=ABBEY, user_message=message, response="noted")
    reply = index.StoreConversation(pb.StoreConversationRequest(record=record), metadata=signed(user), timeout=30)
    return str(reply.id)


def memories(index: index_grpc.EmbeddingIndexServiceStub, user: str, query: str) -> list[str]:
    request = pb.SearchConversationsRequest(user_id=user, query=query, k=20)
    return [
        hit.record.user_message for hit in index.SearchConversations(request, metadata=signed(user), timeout=30).hits
    ]


def rule_calls(abi: abi_service_pb2_grpc.AbiServiceStub, metadata: Metadata) -> list[Call]:
    return [
        lambda: abi.GetRules(abi_service_pb2.GetRulesRequest(), metadata=metadata, timeout=10),
        lambda: abi.ValidateRules(
            abi_service_pb2.ValidateRulesRequest(yaml="rules: []"), metadata=metadata, timeout=10
        ),
        lambda: abi.ReplaceRules(abi_service_pb2.ReplaceRulesRequest(yaml="rules: []"), metadata=metadata, timeout=10),
    ]


# ---- Abi's rule RPCs ----


def test_a_forged_admin_role_cannot_read_or_replace_rules(abi: abi_service_pb2_grpc.AbiServiceStub) -> None:
    before = abi.GetRules(abi_service_pb2.GetRulesRequest(), metadata=admin(), timeout=10)
    assert before.rule_count > 0  # a signed admin gets in: the refusals below are about the signature
    for call in rule_calls(abi, FORGED_ADMIN):
        unauthenticated(call)
    after = abi.GetRules(abi_service_pb2.GetRulesRequest(), metadata=admin(), timeout=10)
    assert after.version == before.version  # the forged ReplaceRules changed nothing


def test_an_admin_token_signed_with_another_secret_is_refused(abi: abi_service_pb2_grpc.AbiServiceStub) -> None:
    outsider = InternalAuth(secrets.token_urlsafe(32))
    metadata = (*FORGED_ADMIN, ("x-pm-auth", outsider.sign("admin", "ops", "", 60)))
    for call in rule_calls(abi, metadata):
        unauthenticated(call, "INTERNAL_TOKEN_INVALID")


def test_a_signed_user_token_with_its_role_edited_is_refused(abi: abi_service_pb2_grpc.AbiServiceStub) -> None:
    """Swapping the claims of a genuine token for admin ones breaks its signature."""
    genuine = token("mallory", role="user").split(".")
    promoted = token("mallory", role="admin").split(".")
    tampered = f"{genuine[0]}.{promoted[1]}.{genuine[2]}"
    for call in rule_calls(abi, (("x-pm-auth", tampered),)):
        unauthenticated(call, "INTERNAL_TOKEN_INVALID")


def test_a_signed_role_without_rule_rights_is_permission_denied(abi: abi_service_pb2_grpc.AbiServiceStub) -> None:
    for call in rule_calls(abi, signed("mallory", "user")):
        denied(call, "ROLE_REQUIRED")


# ---- the index's per-user RPCs ----


def per_user_calls(index: index_grpc.EmbeddingIndexServiceStub, user: str, metadata: Metadata) -> dict[str, Call]:
    record = pb.ConversationRecord(user_id=user, persona=ABBEY, user_message="planted", response="x")
    return {
        "SearchConversations": lambda: index.SearchConversations(
            pb.SearchConversationsRequest(user_id=user, query="anything", k=5), metadata=metadata, timeout=30
        ),
        "DeleteUserData": lambda: index.DeleteUserData(
            pb.DeleteUserDataRequest(user_id=user), metadata=metadata, timeout=30
        ),
        "DeleteConversations": lambda: index.DeleteConversations(
            pb.DeleteConversationsRequest(user_id=user, ids=["any-record"]), metadata=metadata, timeout=30
        ),
        "StoreConversation": lambda: index.StoreConversation(
            pb.StoreConversationRequest(record=record), metadata=metadata, timeout=30
        ),
        "RecordOutcome": lambda: index.RecordOutcome(
            pb.RecordOutcomeRequest(request_id=uuid.uuid4().hex, persona=ABBEY, success=False, user_id=user),
            metadata=metadata,
            timeout=30,
        ),
        "GetWeights": lambda: index.GetWeights(pb.GetWeightsRequest(user_id=user), metadata=metadata, timeout=30),
    }


def test_per_user_index_rpcs_refuse_unsigned_callers(index: index_grpc.EmbeddingIndexServiceStub) -> None:
    alice = f"alice-{uuid.uuid4().hex[:8]}"
    store(index, alice, "My cat Milo has been sick all week and I am worried.")
    unsigned: tuple[Metadata, ...] = ((), (("x-pm-user", alice), ("x-pm-role", "admin")))
    for metadata in unsigned:
        for name, call in per_user_calls(index, alice, metadata).items():
            unauthenticated(call, what=name)
    # Outcomes move the shared weights too: even one for no user needs a signed caller.
    unauthenticated(lambda: index.RecordOutcome(pb.RecordOutcomeRequest(persona=ABBEY, success=True), timeout=30))
    # Nothing was read, planted or deleted.
    assert memories(index, alice, "how is my cat") == ["My cat Milo has been sick all week and I am worried."]


def test_a_token_for_one_user_cannot_touch_another_users_data(index: index_grpc.EmbeddingIndexServiceStub) -> None:
    alice, bob = f"alice-{uuid.uuid4().hex[:8]}", f"bob-{uuid.uuid4().hex[:8]}"
    store(index, alice, "I started learning the violin last month.")
    store(index, bob, "My favourite food is ramen.")
    for name, call in per_user_calls(index, alice, signed(bob)).items():
        denied(call, what=name)
    # An admin's token does not open another user's data either: tokens name the user the call acts for.
    for name, call in per_user_calls(index, alice, signed("ops", "admin")).items():
        denied(call, what=name)
    assert memories(index, alice, "violin") == ["I started learning the violin last month."]
    # Bob's own token works for Bob, including deleting his own data.
    assert memories(index, bob, "food") == ["My favourite food is ramen."]
    deleted = index.DeleteUserData(pb.DeleteUserDataRequest(user_id=bob), metadata=signed(bob), timeout=30)
    assert deleted.deleted_conversations == 1
    assert memories(index, bob, "food") == []
    assert memories(index, alice, "violin") == ["I started learning the violin last month."]


def test_one_record_is_forgotten_for_its_own_user_only(index: index_grpc.EmbeddingIndexServiceStub) -> None:
    """DeleteConversations removes the signed user's records it names; an id of another user's record is left."""
    alice, mallory = f"alice-{uuid.uuid4().hex[:8]}", f"mallory-{uuid.uuid4().hex[:8]}"
    kept = store(index, alice, "My sister Ana lives in Porto.")
    forgotten = store(index, alice, "My dog is called Biscuit.")
    other = store(index, mallory, "My dog is called Rex.")
    reply = index.DeleteConversations(
        pb.DeleteConversationsRequest(user_id=alice, ids=[forgotten, other, "no-such-record"]),
        metadata=signed(alice),
        timeout=30,
    )
    assert reply.deleted_conversations == 1
    assert memories(index, alice, "my dog") == ["My sister Ana lives in Porto."]
    assert memories(index, mallory, "my dog") == ["My dog is called Rex."]
    assert kept != forgotten


def test_a_record_id_of_another_user_cannot_be_written_over(index: index_grpc.EmbeddingIndexServiceStub) -> None:
    """A signed caller chooses its record ids, but an id another user's row holds is not its to replace."""
    alice, mallory = f"alice-{uuid.uuid4().hex[:8]}", f"mallory-{uuid.uuid4().hex[:8]}"
    record_id = store(index, alice, "My daughter starts school in September.")
    taken = pb.ConversationRecord(
        id=record_id, user_id=mallory, persona=ABBEY, user_message="Alice's daughter has no school.", response="ok"
    )
    denied(
        lambda: index.StoreConversation(
            pb.StoreConversationRequest(record=taken), metadata=signed(mallory), timeout=30
        ),
        reason="NOT_YOUR_DATA",
    )
    assert memories(index, alice, "school") == ["My daughter starts school in September."]
    assert memories(index, mallory, "school") == []
    # Alice may still replace her own record under its id.
    mine = pb.ConversationRecord(
        id=record_id, user_id=alice, persona=ABBEY, user_message="My daughter starts school in October.", response="ok"
    )
    assert (
        index.StoreConversation(pb.StoreConversationRequest(record=mine), metadata=signed(alice), timeout=30).id
        == record_id
    )
    assert memories(index, alice, "school") == ["My daughter starts school in October."]


def test_an_expired_token_is_refused(index: index_grpc.EmbeddingIndexServiceStub) -> None:
    carol = f"carol-{uuid.uuid4().hex[:8]}"
    store(index, carol, "My sister lives in Lisbon.")
    # Expired a minute ago: far beyond the clock skew the services tolerate (5 s).
    stale = InternalAuth(mesh_secret()).sign("user", carol, "", 10.0, now=time.time() - 70)
    for name, call in per_user_calls(index, carol, (("x-pm-auth", stale),)).items():
        unauthenticated(call, "INTERNAL_TOKEN_EXPIRED", what=name)
    assert memories(index, carol, "sister") == ["My sister lives in Lisbon."]


def test_a_token_that_claims_a_long_life_is_refused(index: index_grpc.EmbeddingIndexServiceStub) -> None:
    """Even with the right secret: no issuer of this mesh signs for longer than PM_INTERNAL_TOKEN_MAX_SECONDS."""
    forever = InternalAuth(mesh_secret(), max_lifetime=10**9).sign("user", "dave", "", 10**8)
    unauthenticated(
        lambda: index.GetWeights(pb.GetWeightsRequest(user_id="dave"), metadata=(("x-pm-auth", forever),), timeout=30),
        "INTERNAL_TOKEN_INVALID",
    )


def test_a_token_is_bound_to_its_request_id(index: index_grpc.EmbeddingIndexServiceStub) -> None:
    metadata = (("x-request-id", "another-request"), ("x-pm-auth", token("erin", request_id="request-1")))
    unauthenticated(
        lambda: index.GetWeights(pb.GetWeightsRequest(user_id="erin"), metadata=metadata, timeout=30),
        "INTERNAL_TOKEN_INVALID",
    )
    ok = index.GetWeights(pb.GetWeightsRequest(user_id="erin"), metadata=signed("erin", request_id="r-2"), timeout=30)
    assert ok.weights


def test_shared_data_stays_open_to_the_mesh(index: index_grpc.EmbeddingIndexServiceStub) -> None:
    """Embeddings, knowledge search and the aggregate weights hold no one's data: no token needed."""
    assert index.Embed(pb.EmbedRequest(texts=["hello"]), timeout=30).dimension == 384
    index.SearchKnowledge(pb.SearchKnowledgeRequest(query="python lists", k=3), timeout=30)
    assert index.GetWeights(pb.GetWeightsRequest(domain="code"), timeout=30).weights


# ---- personas forward the caller's token, and only that ----


def test_a_persona_cannot_be_used_to_reach_a_users_memory(small_mesh: RunningMesh) -> None:
    """An unsigned caller naming a user to Abbey gets an answer without that user's memory (the index refuses
    the persona's forwarded call); the same request signed for the user recalls it."""
    frank = f"frank-{uuid.uuid4().hex[:8]}"
    told = persona_pb2.PersonaRequest(content="My sister Clara is getting married in Lisbon.", user_id=frank)
    request = persona_pb2.PersonaRequest(content="I'm nervous about my sister's wedding in Lisbon", user_id=frank)
    with grpc.insecure_channel(small_mesh.addr("abbey-1")) as channel:
        abbey = persona_service_pb2_grpc.PersonaServiceStub(channel)
        abbey.Chat(told, metadata=signed(frank), timeout=30)  # Abbey keeps the fact, for frank only
        with grpc.insecure_channel(small_mesh.addr("embeddings")) as index_channel:
            index = index_grpc.EmbeddingIndexServiceStub(index_channel)
            deadline = time.monotonic() + 20
            while not memories(index, frank, "my sister") and time.monotonic() < deadline:
                time.sleep(0.2)  # stored after the answer
        stolen = abbey.Chat(request, metadata=FORGED_ADMIN, timeout=30)
        assert "Clara" not in stolen.content
        assert not any("Recalled" in step.description for step in stolen.reasoning_steps)
        assert stolen.degraded  # the persona says it answered without memory
        own = abbey.Chat(request, metadata=signed(frank), timeout=30)
    assert any("Recalled" in step.description for step in own.reasoning_steps)
    assert "Clara" in own.content


# ---- the gateway's own calls ----


def test_the_gateways_signed_calls_work_end_to_end(small_mesh: RunningMesh) -> None:
    """Chat: the gateway signs for the key's user, Abi forwards it to read weights, Abbey to store memory.
    Feedback and the admin rules API are signed calls too."""
    with httpx.Client(base_url=f"http://127.0.0.1:{small_mesh.layout.ports['gateway-http']}", timeout=30) as http:
        route = http.post("/api/v1/route", json={"content": "How do I sort a list?"}, headers=auth("user"))
        assert route.status_code == 200, route.text
        assert route.json()["degraded"] is False, route.json()  # Abi's GetWeights for the user was accepted
        marker = uuid.uuid4().hex[:8]
        answer = http.post(
            "/api/v1/chat/abbey",
            # A claimed user_id is ignored for a keyed caller: memory is stored for the key's user.
            json={"content": f"My dog Rex ({marker}) is old but loves the beach", "user_id": "other-user"},
            headers=auth("user"),
        )
        assert answer.status_code == 200, answer.text
        rated = http.post(
            "/api/v1/feedback", json={"request_id": answer.json()["request_id"], "rating": 1.0}, headers=auth("user")
        )
        assert rated.json() == {"accepted": True, "learning_recorded": True}
        rules = http.get("/api/v1/config/rules", headers=auth("admin"))
        assert rules.status_code == 200 and rules.json()["rule_count"] > 0, rules.text
    with grpc.insecure_channel(small_mesh.addr("embeddings")) as channel:
        index = index_grpc.EmbeddingIndexServiceStub(channel)
        deadline = time.monotonic() + 20
        while not any(marker in m for m in memories(index, KEY_USER, "my old dog")) and time.monotonic() < deadline:
            time.sleep(0.2)  # Abbey stores the exchange after answering
        assert any(marker in m for m in memories(index, KEY_USER, "my old dog"))
        assert not any(marker in m for m in memories(index, "other-user", "my old dog"))


# ---- no secret, no start ----


@pytest.mark.parametrize(
    "env",
    [{"PM_INTERNAL_SECRET": ""}, {"PM_INTERNAL_SECRET": "too-short"}, {"PM_INTERNAL_SECRET_FILE": "/nonexistent"}],
    ids=["none", "short", "unreadable-file"],
)
@pytest.mark.parametrize("module", ["services.embeddings", "gateway"])
def test_a_process_without_a_usable_secret_refuses_to_start(tmp_path: Path, module: str, env: dict[str, str]) -> None:
    process = ServiceProcess(
        "no-secret", module, free_port(), {**env, "PM_METRICS_PORT": "-1", "PM_HTTP_PORT": str(free_port())}, tmp_path
    )
    process.start()
    assert process.wait_exit(timeout=60) == 1
    log = (tmp_path / "no-secret.log").read_text()
    assert "cannot start" in log and "secret" in log.lower(), log
