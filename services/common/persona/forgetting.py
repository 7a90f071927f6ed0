"""A request that the assistant forget what the writer told it, or delete their data ("forget what I told you",
"please delete my data"), answered with what is kept and how it is erased.

Such messages had got `tr -d`'s manual, or were said back as news. No persona erases from inside a conversation: a
message may be someone else's text pasted in, and erasure removes everything the mesh keeps about a user at once
(`DELETE /api/v1/users/{user_id}/data`, by the user or an admin; docs/user-guide.md), so the answer says how.
"""

from __future__ import annotations

import re

from services.common.persona.logic import Plan, said_as_is, step
from services.common.personal import FORGET_VERB, REQUEST_OPENER

# What of the writer's: what the assistant knows or was told about them, or their data.
_WHAT = (
    r"(?:(?:all|everything|whatever|what|anything)\s+)?(?:of\s+)?"
    r"(?:(?:you\s+(?:know|have|remember|kept|saved|stored|learned|learnt)|you've\s+(?:got|kept|saved|stored|learned)|"
    r"i(?:'ve| have)?\s+(?:told|said|shared|gave)(?:\s+you)?)(?:\s+(?:about|on|of)\s+me)?"
    r"|(?:everything|all)\s+about\s+me"
    r"|my\s+(?:personal\s+)?(?:data|info|information|details|history|chat history|conversation history|"
    r"conversations?|chats?|messages|memories|profile)"
    r"|me)"
)
_FORGET_ME = re.compile(
    rf"{REQUEST_OPENER}{FORGET_VERB}\s+{_WHAT}(?:\s+(?:please|now|pls|thanks|thank you))?\W*$", re.IGNORECASE
)

KEPT_AND_ERASED = (
    "I can't erase anything from inside a conversation. What persona-mesh keeps about you (the facts you told me, "
    "the memory of our conversations and your feedback) is erased all at once by its data-erasure request, which you "
    "or the people who run this service can make (DELETE /api/v1/users/<your user id>/data)."
)
NOTHING_KEPT = (
    "I don't know who you are in this conversation, so I keep nothing once it ends: what you told me stays in this "
    "conversation only."
)


def asks_to_forget(text: str) -> bool:
    """The whole message asks the assistant to forget or delete what it knows or was told about the writer, or
    their data ("forget what I told you", "please delete my data"); not a task ("delete everything in /tmp")."""
    return bool(_FORGET_ME.match(text.strip()))


def forget_plan(identified: bool, temperature: float) -> Plan:
    """The answer: how erasure works for a named user; that nothing outlives the conversation for anyone else."""
    answer = KEPT_AND_ERASED if identified else NOTHING_KEPT
    instruction = "The user asks you to forget what they told you or to delete their data. Answer with this, briefly:"
    return said_as_is(
        instruction, answer, temperature, step("A request to forget: said what is kept and how it is erased", 0.9)
    )


def forget_one_plan(answer: str, temperature: float) -> Plan:
    """The answer to a request to forget one thing the writer told (`personal.fact_to_forget`), once the persona
    that keeps facts has forgotten it or found nothing: said as it is."""
    instruction = "The user asked you to forget something they told you. Answer with this, briefly:"
    return said_as_is(instruction, answer, temperature, step("A request to forget one thing: done, and said what", 0.9))
