"""Conversation memory, knowledge and adaptive weights through the real service and store."""

from __future__ import annotations

import time

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from personamesh.v1 import embedding_index_service_pb2 as pb
from personamesh.v1 import persona_pb2

ABBEY, AVIVA, ABI = persona_pb2.PERSONA_ABBEY, persona_pb2.PERSONA_AVIVA, persona_pb2.PERSONA_ABI


def _stamp(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromMilliseconds(int(seconds * 1000))
    return stamp


async def _store(
    stub,
    user: str,
    message: str,
    persona: persona_pb2.Persona.ValueType = ABBEY,
    session: str = "s1",
    at: float | None = None,
) -> str:
    record = pb.ConversationRecord(
        user_id=user,
        session_id=session,
        persona=persona,
        user_message=message,
        response="ok",
        emotion="sad",
        sentiment=-0.5,
    )
    if at is not None:
        record.created_at.CopyFrom(_stamp(at))
    return (await stub.StoreConversation(pb.StoreConversationRequest(record=record))).id


async def test_memory_finds_the_related_exchange_of_that_user_only(stub) -> None:
    await _store(stub, "alice", "My cat Milo has been sick all week and I'm worried.")
    await _store(stub, "alice", "I started learning the violin last month.")
    await _store(stub, "bob", "My cat is ill and I am anxious about the vet bill.")
    response = await stub.SearchConversations(
        pb.SearchConversationsRequest(user_id="alice", query="how is your pet doing?", k=5)
    )
    assert [h.record.user_id for h in response.hits] == ["alice", "alice"]
    top = response.hits[0]
    assert "Milo" in top.record.user_message
    assert top.score > response.hits[1].score
    assert top.record.persona == ABBEY and top.record.emotion == "sad" and top.record.session_id == "s1"
    assert abs(top.record.sentiment + 0.5) < 1e-6 and top.record.created_at.seconds > 0


async def test_memory_filters_by_persona_session_and_time_window(stub) -> None:
    now = time.time()
    await _store(stub, "carol", "Explain Python decorators to me.", persona=AVIVA, session="a", at=now - 3 * 86400)
    await _store(stub, "carol", "I feel nervous about my interview.", persona=ABBEY, session="b", at=now - 3600)
    await _store(stub, "carol", "How do I write a context manager?", persona=AVIVA, session="c", at=now - 60)

    async def messages(k: int = 10, **kwargs: object) -> list[str]:
        request = pb.SearchConversationsRequest(user_id="carol", query="python question", k=k, **kwargs)  # type: ignore[arg-type]
        return [h.record.user_message for h in (await stub.SearchConversations(request)).hits]

    assert len(await messages()) == 3
    assert set(await messages(persona=AVIVA)) == {
        "Explain Python decorators to me.",
        "How do I write a context manager?",
    }
    assert await messages(session_id="b") == ["I feel nervous about my interview."]
    assert set(await messages(since=_stamp(now - 7200))) == {
        "I feel nervous about my interview.",
        "How do I write a context manager?",
    }
    assert await messages(until=_stamp(now - 86400)) == ["Explain Python decorators to me."]
    assert await messages(persona=AVIVA, since=_stamp(now - 7200)) == ["How do I write a context manager?"]
    assert len(await messages(k=1)) == 1


async def test_storing_the_same_id_twice_keeps_one_record(stub) -> None:
    record = pb.ConversationRecord(id="fixed-id-1", user_id="dave", persona=ABBEY, user_message="hello there")
    await stub.StoreConversation(pb.StoreConversationRequest(record=record))
    record.user_message = "hello there, again"
    assert (await stub.StoreConversation(pb.StoreConversationRequest(record=record))).id == "fixed-id-1"
    hits = (await stub.SearchConversations(pb.SearchConversationsRequest(user_id="dave", query="hello", k=10))).hits
    assert [h.record.user_message for h in hits] == ["hello there, again"]


async def test_user_ids_with_quotes_cannot_escape_the_filter(stub) -> None:
    await _store(stub, 'eve" or user_id != "', "secret of the quoting user")
    await _store(stub, "frank", "frank's own secret")
    hits = (
        await stub.SearchConversations(
            pb.SearchConversationsRequest(user_id='eve" or user_id != "', query="secret", k=10)
        )
    ).hits
    assert [h.record.user_message for h in hits] == ["secret of the quoting user"]


MARKDOWN = """# Gardening guide

Intro text about gardens.

## Tomatoes

Tomatoes need full sun, regular watering and support stakes. Pinch the side shoots.

## Roses

Prune roses in late winter. Feed them with a balanced fertiliser in spring.
"""

HTML = """<html><head><title>Bread basics</title><script>var tracking = 1;</script></head>
<body><nav>Home | About</nav><h1>Sourdough</h1><p>A sourdough starter is flour and water fermented by wild yeast.</p>
<h2>Baking</h2><p>Bake at 230 degrees Celsius with steam for the first twenty minutes.</p></body></html>"""


async def test_knowledge_chunks_with_attribution_and_replaces_on_upsert(stub) -> None:
    documents = [
        pb.KnowledgeDocument(
            source="kb/garden.md", title="Gardening guide", url="https://example.org/garden", text=MARKDOWN
        ),
        pb.KnowledgeDocument(source="kb/bread.html", url="https://example.org/bread", text=HTML),
        pb.KnowledgeDocument(
            source="kb/notes.txt", title="Notes", text="Plain text about bicycles.\n\nChains need oil."
        ),
    ]
    response = await stub.UpsertKnowledge(pb.UpsertKnowledgeRequest(documents=documents))
    assert response.documents == 3 and response.chunks >= 6

    hits = (await stub.SearchKnowledge(pb.SearchKnowledgeRequest(query="when should I prune roses?", k=3))).hits
    assert hits[0].source == "kb/garden.md" and "Prune roses" in hits[0].text
    assert hits[0].title == "Gardening guide > Roses" and hits[0].url == "https://example.org/garden"
    assert hits[0].chunk_id.startswith("kb/garden.md#")

    hits = (await stub.SearchKnowledge(pb.SearchKnowledgeRequest(query="oven temperature for sourdough", k=2))).hits
    assert hits[0].source == "kb/bread.html" and "230 degrees" in hits[0].text
    assert all("tracking" not in h.text and "Home | About" not in h.text for h in hits)

    # The query's vector comes back with the hits: the one Embed gives, so a persona makes no second call for it.
    searched = await stub.SearchKnowledge(pb.SearchKnowledgeRequest(query="when should I prune roses?", k=3))
    embedded = await stub.Embed(pb.EmbedRequest(texts=["when should I prune roses?"]))
    assert len(searched.query_vector) == len(embedded.vectors[0].values) > 0
    assert searched.query_vector == pytest.approx(list(embedded.vectors[0].values), abs=1e-6)

    scoped = (await stub.SearchKnowledge(pb.SearchKnowledgeRequest(query="roses", k=5, source_prefix="kb/b"))).hits
    assert scoped and all(h.source == "kb/bread.html" for h in scoped)
    strict = (await stub.SearchKnowledge(pb.SearchKnowledgeRequest(query="roses", k=5, min_score=0.99))).hits
    assert strict == []

    replaced = pb.KnowledgeDocument(
        source="kb/garden.md", title="Gardening guide", text="# Gardening guide\n\nOnly cacti now."
    )
    assert (await stub.UpsertKnowledge(pb.UpsertKnowledgeRequest(documents=[replaced]))).chunks == 1
    garden = (
        await stub.SearchKnowledge(pb.SearchKnowledgeRequest(query="roses", k=10, source_prefix="kb/garden"))
    ).hits
    assert [h.text for h in garden] == ["Only cacti now."]


async def _weights(stub, user: str = "", domain: str = "") -> dict[int, pb.PersonaWeight]:
    response = await stub.GetWeights(pb.GetWeightsRequest(user_id=user, domain=domain))
    return {w.persona: w for w in response.weights}


async def test_weights_start_neutral_and_learn_per_user_domain_and_globally(stub) -> None:
    start = await _weights(stub, "gina", "code")
    assert set(start) == {ABI, ABBEY, AVIVA}
    assert all(abs(w.weight - 1.0) < 1e-6 and w.evidence == 0 for w in start.values())

    for i in range(6):
        await stub.RecordOutcome(
            pb.RecordOutcomeRequest(request_id=f"g-av-{i}", persona=AVIVA, success=True, user_id="gina", domain="code")
        )
        await stub.RecordOutcome(
            pb.RecordOutcomeRequest(request_id=f"g-ab-{i}", persona=ABBEY, rating=0.0, user_id="gina", domain="code")
        )
    after = await _weights(stub, "gina", "code")
    assert after[AVIVA].weight > 1.1 > 1.0 > 0.9 > after[ABBEY].weight
    assert after[ABBEY].weight >= 0.5 and after[AVIVA].weight <= 1.5
    assert abs(after[ABI].weight - 1.0) < 1e-6
    assert abs(after[AVIVA].evidence - 6.0) < 0.01
    # The user's own evidence pulls harder than the domain's, which pulls harder than the global one.
    assert after[AVIVA].user_weight > after[AVIVA].domain_weight > after[AVIVA].global_weight > 1.0

    # No history: the domain's weight, then the global one (equal up to float32 sums in another order).
    stranger = await _weights(stub, "henry", "code")
    assert stranger[AVIVA].weight == pytest.approx(after[AVIVA].domain_weight, abs=1e-5)
    assert stranger[AVIVA].evidence == 0
    other_domain = await _weights(stub, "henry", "cooking")
    assert other_domain[AVIVA].weight == pytest.approx(after[AVIVA].global_weight, abs=1e-5)


async def test_the_same_request_counts_once(stub) -> None:
    request = pb.RecordOutcomeRequest(request_id="dup-1", persona=ABI, success=True, user_id="ivan")
    first = {w.persona: w for w in (await stub.RecordOutcome(request)).weights}
    second = {w.persona: w for w in (await stub.RecordOutcome(request)).weights}
    assert abs(first[ABI].evidence - 1.0) < 1e-3 and abs(second[ABI].evidence - first[ABI].evidence) < 1e-3
    assert abs(first[ABI].weight - second[ABI].weight) < 1e-6


async def test_delete_user_data_leaves_nothing_of_that_user(stub) -> None:
    for i in range(5):
        await _store(
            stub, "judy", f"judy's private message number {i} about her garden", persona=ABBEY if i % 2 else AVIVA
        )
    await _store(stub, "ken", "ken's message about his garden")
    await stub.RecordOutcome(
        pb.RecordOutcomeRequest(request_id="j-1", persona=AVIVA, success=True, user_id="judy", domain="garden")
    )
    assert abs((await _weights(stub, "judy", "garden"))[AVIVA].evidence - 1.0) < 1e-3

    response = await stub.DeleteUserData(pb.DeleteUserDataRequest(user_id="judy"))
    assert response.deleted_conversations == 5
    assert response.deleted_weights == 1

    hits = (await stub.SearchConversations(pb.SearchConversationsRequest(user_id="judy", query="garden", k=100))).hits
    assert hits == []
    judy = await _weights(stub, "judy", "garden")
    assert judy[AVIVA].evidence == 0 and judy[AVIVA].user_weight == judy[AVIVA].domain_weight
    # Other users keep their data; the domain and global levels keep the (anonymous) counts.
    assert (
        len((await stub.SearchConversations(pb.SearchConversationsRequest(user_id="ken", query="garden", k=10))).hits)
        == 1
    )
    assert abs((await _weights(stub, "", "garden"))[AVIVA].evidence - 1.0) < 1e-3
    again = await stub.DeleteUserData(pb.DeleteUserDataRequest(user_id="judy"))
    assert again.deleted_conversations == 0 and again.deleted_weights == 0


async def test_long_multibyte_messages_within_the_character_limit_are_kept(stub) -> None:
    message = "😀" * 20_000  # 20k characters (within the limit), 80k UTF-8 bytes (over one store field)
    await _store(stub, "lena", message)
    hits = (await stub.SearchConversations(pb.SearchConversationsRequest(user_id="lena", query="😀", k=1))).hits
    kept = hits[0].record.user_message
    assert kept == "😀" * len(kept) and 16_000 <= len(kept) < 20_000


async def test_long_multibyte_titles_are_kept_shortened(stub) -> None:
    document = pb.KnowledgeDocument(source="kb/emoji", title="🌵" * 500, text="Cacti store water in their stems.")
    assert (await stub.UpsertKnowledge(pb.UpsertKnowledgeRequest(documents=[document]))).chunks == 1
    hits = (
        await stub.SearchKnowledge(pb.SearchKnowledgeRequest(query="cactus water", k=1, source_prefix="kb/emoji"))
    ).hits
    assert hits[0].title == "🌵" * len(hits[0].title) and 200 <= len(hits[0].title) < 500
