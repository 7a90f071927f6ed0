"""Where a message stands in its conversation: what the person said last, and whether this message moves on."""

from __future__ import annotations

import re
from dataclasses import replace

from personamesh.v1 import persona_pb2
from services.abbey.facts import introduces_self
from services.abbey.language import Specifics, changes_subject, is_question, the_ask
from services.common.conversation import read_together, user_messages
from services.common.generation.grounding import content_words

# A message that opens by looking back carries on the conversation ("and he still hasn't called", "so what now").
# "Also" and "plus" add something ("also my exam results come out tomorrow"): whether it is new is decided below.
_BACK_REFERENCE = re.compile(r"^\W*(?:and|but|so|still|now|then|he|she|they|it|that|this|which)\b", re.I)
# Something brought in by this message: "a puppy", "an interview", "my boss" ("We had him for twelve years."
# brings in nobody new: it is still about the dog).
_NEW_REFERENT = re.compile(r"\b(?:a|an|my|our)\s+[a-z]", re.I)


def tells_new_subject(text: str, earlier: str) -> bool:
    """Whether a message is about something else than the last thing the person said: it brings in something of
    its own, does not look back and shares no content word with it ("we adopted a puppy today, her name is Mochi"
    after "I have a job interview tomorrow and I can't sleep"; "what's a good way to ask my boss for a raise?"
    after a sick cat). Such a message keeps none of the earlier feeling: they were answered "A few nerves make
    sense: you adopted a puppy today" and "It's a shame about a raise". A short follow-up ("what do I do now?") or
    one about the same thing in other words ("We had him for twelve years." after a dog's death) carries on. A
    question on another subject ("how long do boiled eggs last in the fridge" after a bad week) and a message
    that says it changes the subject ("Moving on. Can you suggest ...") keep none of it either."""
    if earlier.strip() and (introduces_self(text) or changes_subject(text)):
        return True  # an introduction, or "anyway, ..." / "btw ..." / "on another note ...": it starts afresh
    ask = the_ask(text)
    # A question brings in its subject without "a" or "my" ("how long do hard boiled eggs last in the fridge").
    looks_back = _BACK_REFERENCE.search(text) or _BACK_REFERENCE.search(ask)  # "so he ...", "ok so it ..."
    if not earlier.strip() or looks_back or not (_NEW_REFERENT.search(text) or is_question(ask)):
        return False
    words = content_words(ask)
    return len(words) >= 3 and not words & content_words(earlier)


def conversation_so_far(request: persona_pb2.PersonaRequest, earlier: int = 2) -> str:
    """The person's last `earlier` messages before this one and this one, a line each ("" at a conversation's
    start): a feeling told over several messages is often in none of them alone ("got a parking ticket outside
    my own house" / "I have a resident permit" / "it was on the dashboard, face up")."""
    told = user_messages(request.recent_turns)[-earlier:] if earlier > 0 else []
    return read_together(told, request.content) if told else ""


def last_user_turn(request: persona_pb2.PersonaRequest) -> str:
    """What the person said last before this message ("" at a conversation's start)."""
    told = user_messages(request.recent_turns)
    return told[-1] if told else ""


def event_in_context(specifics: Specifics, earlier: Specifics) -> Specifics:
    """This message's specifics with the event of the message before it in front, for a feeling read only from the
    messages together ("friday is four days away" after "the biopsy results come back on friday": the worry rests on
    the results, and saying back the fragment alone named the date, not the worry)."""
    if not earlier.event or earlier.event == specifics.event:
        return specifics
    event = f"{earlier.event}, and {specifics.event}" if specifics.event else earlier.event
    return replace(specifics, event=event)
