"""Abbey's memory of each user: facts they told about themselves, kept in the embedding index.

What is stored: facts, people, pets, preferences and events (with their emotional weight) that the user
told about themselves, never their questions and never Abbey's answers. Each fact is one record of the
index's conversation memory (persona ABBEY), so it lives in the index's data dir, survives restarts of
every service, and `DeleteUserData` removes it with the rest of the user's data:

- `user_message`: the user's own sentence, redacted (the index embeds it for search, and redacts again);
- `response`: `abbey-fact/v1 ` + JSON {kind, key, value, text, weight}; `emotion`/`sentiment`: the feeling;
- `id`: derived from user, kind, key (and value), so telling the same fact again, or a new preference,
  replaces the old record instead of piling up.

The index may be down; recall then returns `available = False` and Abbey answers anyway (degraded).
Writes happen after the answer was sent. Records of earlier Abbey versions (whole exchanges) are ignored.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp

from personamesh.v1 import embedding_index_service_pb2 as index_pb2
from personamesh.v1 import persona_pb2
from services.abbey.facts import Fact, extract_facts
from services.common.generation.grounding import IndexCaller
from services.common.personal import EVERYTHING, MemoryQuestion, fact_to_forget

FACT_PREFIX = "abbey-fact/v1 "
# Facts of one user scanned per message: enough for a long relationship, bounded by the index's max k (100).
SCAN_K = 64


@dataclass(frozen=True)
class Recollection:
    """One remembered fact, with how relevant it is to the current message."""

    fact: Fact
    score: float
    session_id: str
    record_id: str = ""  # the index record it is kept in (none for a fact read from this conversation's turns)


@dataclass(frozen=True)
class Recall:
    memories: list[Recollection]  # relevant facts, best first
    preferences: dict[str, str]  # "brevity" -> "short"
    available: bool
    known: list[Recollection] | None = None  # every fact scanned (for direct questions)


def fact_id(user_id: str, fact: Fact) -> str:
    identity = f"{user_id}\x00{fact.kind}\x00{fact.key}" + (
        "" if fact.kind == "preference" else f"\x00{fact.value.lower()}"
    )
    return "abbey-" + hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]


def _decode(record: index_pb2.ConversationRecord) -> Fact | None:
    if not record.response.startswith(FACT_PREFIX):
        return None
    try:
        data = json.loads(record.response[len(FACT_PREFIX) :])
        return Fact(
            kind=str(data["kind"]),
            key=str(data["key"]),
            value=str(data.get("value", "")),
            text=str(data.get("text", "")),
            source=record.user_message,
            weight=float(data.get("weight", 0.0)),
            emotion=record.emotion,
        )
    except (ValueError, KeyError, TypeError):
        return None


class FactMemory:
    """Recall and remember facts about a user through the embedding index."""

    def __init__(self, index: IndexCaller, k: int, min_score: float) -> None:
        self._index = index
        self._k = k
        self._min_score = min_score

    async def recall(self, user_id: str, query: str) -> Recall:
        """Facts about this user (any session) relevant to `query`, and their stored preferences."""
        if not user_id:
            return Recall([], {}, True, [])
        request = index_pb2.SearchConversationsRequest(
            user_id=user_id, persona=persona_pb2.PERSONA_ABBEY, query=query, k=SCAN_K
        )
        reply = await self._index.call(lambda t: self._index.stub.SearchConversations(request, timeout=t))
        if reply is None:
            return Recall([], {}, False, [])
        known: list[Recollection] = []
        preferences: dict[str, str] = {}
        words = set(query.lower().replace("'s", " ").split())
        for hit in reply.hits:
            fact = _decode(hit.record)
            if fact is None:
                continue
            if fact.kind == "preference":
                preferences.setdefault(fact.key, fact.value)
                continue
            boost = 0.3 if fact.key in words or (fact.value and fact.value.lower() in words) else 0.0
            known.append(Recollection(fact, float(hit.score) + boost, hit.record.session_id, hit.record.id))
        known.sort(key=lambda r: -r.score)
        relevant = [r for r in known if r.score >= self._min_score and r.fact.source.strip() != query.strip()]
        return Recall(relevant[: self._k], preferences, True, known)

    async def remember(self, request: persona_pb2.PersonaRequest, facts: list[Fact], sentiment: float) -> int:
        """Store the facts of this message; returns how many the index took."""
        if not request.user_id or not facts:
            return 0
        created = Timestamp()
        created.GetCurrentTime()

        async def store(fact: Fact) -> bool:
            payload: dict[str, object] = {"kind": fact.kind, "key": fact.key, "value": fact.value, "text": fact.text}
            payload["weight"] = round(fact.weight, 3)
            record = index_pb2.ConversationRecord(
                id=fact_id(request.user_id, fact),
                user_id=request.user_id,
                session_id=request.session_id,
                persona=persona_pb2.PERSONA_ABBEY,
                user_message=fact.source,
                response=FACT_PREFIX + json.dumps(payload, ensure_ascii=False),
                created_at=created,
                emotion=fact.emotion,
                sentiment=max(-1.0, min(1.0, sentiment)),
                request_id=request.request_id,
            )
            message = index_pb2.StoreConversationRequest(record=record)
            return await self._index.call(lambda t: self._index.stub.StoreConversation(message, timeout=t)) is not None

        results = await asyncio.gather(*(store(fact) for fact in facts))
        return sum(results)

    async def forget(self, user_id: str, asked: MemoryQuestion) -> list[Fact] | None:
        """Delete what this user told about `asked`'s subject (`facts_about`); the facts forgotten, or None when the
        index could not be asked or did not delete."""
        recall = await self.recall(user_id, asked.subject)
        if not recall.available:
            return None
        about = facts_about(asked.subject, recall.known or [])
        ids = [r.record_id for r in about if r.record_id]
        if ids:
            message = index_pb2.DeleteConversationsRequest(user_id=user_id, ids=ids)
            reply = await self._index.call(lambda t: self._index.stub.DeleteConversations(message, timeout=t))
            if reply is None:
                return None
        return [r.fact for r in about]


# A memory question from a caller who named no user (an anonymous local run): nothing is kept for nobody, so
# "If you tell me, I'll remember it" would be untrue (it had got "I don't have a trustworthy source on this").
NOBODY_TO_REMEMBER = (
    "I don't know who you are in this conversation, so I keep nothing from earlier ones; if you tell me again, "
    "I'll use it here."
)


def told_in_conversation(request: persona_pb2.PersonaRequest) -> list[Recollection]:
    """The facts the person told earlier in this conversation (its user turns), newest first, but none about a
    subject they asked Abbey to forget after telling it.

    A memory question is answered from them whoever asks: "what's my dog's name?" three messages after "my dog
    Pepper has been limping" had got "I keep nothing" from a caller who named no user, whose conversation is there
    in the request though nothing is stored for it; for a named user they come before what the store holds."""
    told: list[Recollection] = []
    forgotten: list[str] = []  # subjects asked to be forgotten in a later turn than the one being read
    for turn in reversed(request.recent_turns):
        if turn.role != persona_pb2.ROLE_USER:
            continue
        if (asked := fact_to_forget(turn.content)) is not None:
            forgotten.append(asked.subject)
            continue
        facts = [Recollection(fact, 1.0, request.session_id) for fact in extract_facts(turn.content)]
        for subject in forgotten:
            gone = facts_about(subject, facts)
            facts = [r for r in facts if r not in gone]
        told.extend(facts)
    return told


def facts_about(subject: str, known: list[Recollection]) -> list[Recollection]:
    """What was told about `subject`: the facts kept under it ("dog"), the events that name it, and any fact that
    says its name ("your cat Miso and your brother Tom came round" goes with the cat's name), each once."""
    keyed = [r for r in known if r.fact.key == subject]
    values = [r.fact.value for r in keyed if r.fact.value]
    said = _naming([subject, *values])
    named = _naming(values)
    others = [
        r
        for r in known
        if r not in keyed
        and ((r.fact.kind == "event" and said.search(r.fact.text)) or (values and named.search(r.fact.text)))
    ]
    return keyed + others


def _naming(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(w) + "s?" for w in words) + r")\b", re.IGNORECASE)


def matching_facts(question: MemoryQuestion, known: list[Recollection]) -> list[Fact]:
    """The facts a memory question asks about: those of its subject ("my dog"), else the best one known.

    Something that happened is kept under its whole sentence, so "what did I tell you about my job?" also finds an
    event that names the subject ("you started a new job at the bakery"); a question for a name does not (an event
    about the dog does not say what it is called)."""
    if not question.subject:
        return [known[0].fact] if known else []
    keyed = [r.fact for r in known if r.fact.key == question.subject]
    if keyed or question.attribute == "name":
        return keyed
    named = re.compile(rf"\b{re.escape(question.subject)}s?\b", re.IGNORECASE)
    return [r.fact for r in known if r.fact.kind == "event" and named.search(r.fact.text)]


# "where is my wifi password?": asked of memory only when a fact was kept under that subject; "where is my phone?"
# with nothing told is a lost thing asked about now, not a question about what was told.
_WHERE_IS_MINE = re.compile(r"^\s*where(?:'s| is| are) (?:my|our) ((?:[a-z]+ ){0,3}?[a-z]+)(?: again)?\s*\??\s*$", re.I)


def told_whereabouts(text: str, known: list[Recollection]) -> MemoryQuestion | None:
    """A "where is my X?" that a recalled fact keyed X answers, as a memory question; None otherwise."""
    where = _WHERE_IS_MINE.match(text)
    if where is None:
        return None
    asked = MemoryQuestion(where.group(1).lower(), "what")
    return asked if any(r.fact.key == asked.subject for r in known) else None


def answer_question(question: MemoryQuestion, known: list[Recollection]) -> str:
    """The answer to a direct question about what the user told Abbey, from memory only."""
    if question.attribute == EVERYTHING:
        return _everything_told([r.fact for r in known])
    matching = matching_facts(question, known)
    if not matching:
        thing = f"your {question.subject}" if question.subject not in ("", "home", "job", "name") else "that"
        return (
            f"I don't think you've told me about {thing} yet, so I'd rather not guess. "
            "If you tell me, I'll remember it."
        )
    fact = next((f for f in matching if f.value), matching[0])
    if question.attribute == "name" and fact.kind in ("pet", "person"):
        if fact.value and fact.key.endswith("s"):  # "my kids are called Mia and Leo": said back whole
            return f"You told me that {fact.text}."
        if fact.value:
            return f"Your {fact.key} is called {fact.value}; you told me that {fact.text}."
        return f"You told me that {fact.text}, but not their name."
    if fact.kind == "self" and fact.key == "job" and question.attribute == "where":
        return f"You told me that {fact.text}."  # "you work as a nurse in Leeds": the place is in what was said
    if fact.kind == "self" and fact.value:
        if fact.key == "job":
            at = fact.value.startswith(("at ", "for ", "in "))
            lead = f"You work {fact.value}" if at else f"You work as {_article(fact.value)}"
        else:
            clause = said_clause(fact)
            lead = clause[:1].upper() + clause[1:]
        return f"{lead}; that's what you told me."
    return f"You told me that {fact.text}."


# Who they are first, then the people and pets in their life, then what happened.
_SUMMARY_ORDER = {"self": 0, "person": 1, "pet": 2, "event": 3}
_SELF_ORDER = {"name": 0, "age": 1, "home": 2, "job": 3}
# Said from the value, not the sentence it came in ("I'm allergic to peanuts, by the way").
_SELF_CLAUSES = {
    "name": "your name is {}",
    "age": "you're {}",
    "home": "you live in {}",
    "allergy": "you're allergic to {}",
    "diet": "you're {}",
}
SUMMARY_FACTS = 5


def _everything_told(facts: list[Fact]) -> str:
    """Up to SUMMARY_FACTS things the user told, each once ("what do you remember about me?" had got their name
    alone: a question with no subject answered with the best fact)."""
    clauses: list[str] = []
    for fact in sorted(facts, key=lambda f: (_SUMMARY_ORDER.get(f.kind, 4), _SELF_ORDER.get(f.key, 4), -f.weight)):
        clause = said_clause(fact)
        if clause and clause not in clauses:
            clauses.append(clause)
        if len(clauses) == SUMMARY_FACTS:
            break
    if not clauses:
        return (
            "You haven't told me anything about yourself yet that I keep, so I'd rather not guess. "
            "If you tell me, I'll remember it."
        )
    return "Here's what you've told me: " + "; ".join(clauses) + "."


def said_clause(fact: Fact) -> str:
    """A fact said back in a clause: "you're allergic to peanuts", "your dog is called Pepper"."""
    if fact.kind == "self" and fact.value and fact.key != "job":  # a job keeps its sentence: "... a nurse in Leeds"
        return _SELF_CLAUSES.get(fact.key, f"your {fact.key} is {{}}").format(fact.value)
    if fact.kind in ("person", "pet") and fact.value and not fact.key.endswith("s"):  # "your kids are ..." whole
        return f"your {fact.key} is called {fact.value}" if fact.kind == "pet" else f"your {fact.key} is {fact.value}"
    return fact.text


MEMORY_UNREACHABLE = "I couldn't reach my memory just now, so nothing was forgotten; please ask me again in a moment."


def forgotten_answer(asked: MemoryQuestion, forgotten: list[Fact]) -> str:
    """What Abbey says after forgetting (`FactMemory.forget`): what she forgot, or that she kept nothing about it."""
    if not forgotten:
        thing = "that" if asked.subject in ("home", "job", "name", "age", "allergy") else f"your {asked.subject}"
        return f"I don't keep anything about {thing}, so there's nothing to forget."
    clauses: list[str] = []
    for fact in forgotten:
        clause = said_clause(fact)
        if clause and clause not in clauses:
            clauses.append(clause)
    shown = "; ".join(clauses[:3]) + ("; and the rest of what you told me about it" if len(clauses) > 3 else "")
    return f"Done: I've forgotten that {shown}, and I won't bring it up again."


def _article(value: str) -> str:
    return ("an " if value[:1].lower() in "aeiou" else "a ") + value
