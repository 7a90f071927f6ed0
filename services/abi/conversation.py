"""What Abi reads besides the message: the user's own earlier messages, for the crisis signal only.

A crisis is often told over several messages: despair first, then a plan, a means, a time or a goodbye that reads
as ordinary alone ("the bridge near work is quiet at night", "how many of these would it take"). The model was
fitted on single messages, so Route also scores the last few user messages read together, and flags a crisis when
that reading reaches its own threshold (`PolicyConfig.conversation_crisis_threshold`, picked on a tuning set of
conversations written blind; how, and the figures on a frozen blind set of conversations, in services/abi/README.md).
Only the crisis score is read from the conversation: harm, routing and emotions stay the message's own, so an earlier
question never blocks a later one.
The assistant's answers are never read (they quote crisis lines and would flag every later message).
"""

from __future__ import annotations

from collections.abc import Iterable

from personamesh.v1 import persona_pb2

# User messages read together, the current one included (picked on the tuning set: see the module docstring).
MESSAGES_READ_TOGETHER = 3
# Characters of each earlier message kept (its end, nearest the current message): bounds the model's work to a
# few windows whatever the client sends as history.
EARLIER_MESSAGE_CHARS = 400
# P(crisis) of the conversation read together that flags a crisis (picked on the tuning set).
CONVERSATION_CRISIS_THRESHOLD = 0.98


def earlier_user_messages(
    turns: Iterable[persona_pb2.Turn], limit: int = MESSAGES_READ_TOGETHER - 1
) -> tuple[str, ...]:
    """The user's last `limit` non-empty messages before the current one, oldest first, each cut to its end."""
    texts = [t.content.strip() for t in turns if t.role == persona_pb2.ROLE_USER and t.content.strip()]
    return tuple(text[-EARLIER_MESSAGE_CHARS:] for text in texts[-limit:]) if limit > 0 else ()


def read_together(earlier: tuple[str, ...], content: str) -> str:
    """The messages as the model reads them together: one per line, oldest first."""
    return "\n".join((*earlier, content.strip()))
