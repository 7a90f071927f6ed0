"""What Abi reads besides the message: the user's own earlier messages, for the crisis and harm signals.

A crisis is often told over several messages: despair first, then a plan, a means, a time or a goodbye that reads
as ordinary alone ("the bridge near work is quiet at night", "how many of these would it take"). The model was
fitted on single messages, so Route also scores the last few user messages read together, and flags a crisis when
that reading reaches its own threshold (`PolicyConfig.conversation_crisis_threshold`, picked on a tuning set of
conversations written blind; how, and the figures on a frozen blind set of conversations, in services/abi/README.md).
A harmful request is spread over messages the same way (a decomposed ask, "how much of it would fill a room", a person
introduced in anger and then "where does she live then?"); when a rules document sets `conversation_harm_threshold`,
harm is read from the messages together too, leaving out any earlier message that is harmful alone: it was refused or
held in its own turn (the gateway's sessions never keep it), and read again it would block whatever the user asks
next ("ok forget it, how do I make banana bread").
Routing and emotions stay the message's own. The assistant's answers are never read (they quote crisis lines and
refusals).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from personamesh.v1 import persona_pb2
from services.common.conversation import user_messages

# User messages read together, the current one included (picked on the tuning set: see the module docstring).
MESSAGES_READ_TOGETHER = 3
# Characters of each earlier message kept (its end, nearest the current message): bounds the model's work to a
# few windows whatever the client sends as history.
EARLIER_MESSAGE_CHARS = 400
# P(crisis) of the conversation read together that flags a crisis (picked on the tuning set).
CONVERSATION_CRISIS_THRESHOLD = 0.98
# P(harm) of the conversation read together (without earlier messages harmful alone) that blocks, picked on the
# tuning set; off unless a rules document sets `conversation_harm_threshold` (on the blind set it also stopped 13 more
# of 140 harmless conversations: services/abi/README.md).
CONVERSATION_HARM_THRESHOLD = 0.6


def earlier_user_messages(
    turns: Iterable[persona_pb2.Turn], limit: int = MESSAGES_READ_TOGETHER - 1
) -> tuple[str, ...]:
    """The user's last `limit` non-empty messages before the current one, oldest first, each cut to its end."""
    texts = user_messages(turns)
    return tuple(text[-EARLIER_MESSAGE_CHARS:] for text in texts[-limit:]) if limit > 0 else ()


def without_harmful(earlier: tuple[str, ...], harm_alone: Sequence[float], review_threshold: float) -> tuple[str, ...]:
    """The earlier messages the harm reading keeps: those under the review threshold alone (one refused in its own
    turn is not held against what the user asks next)."""
    return tuple(text for text, harm in zip(earlier, harm_alone, strict=True) if harm < review_threshold)
