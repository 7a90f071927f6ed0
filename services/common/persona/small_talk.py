"""Small talk: a whole message that is only a greeting, a farewell, "how are you?", "what can you do?", "are you a
bot?", "what's your name?", a laugh, thanks or an "ok", answered in kind, briefly, by whichever persona gets it.

Without this, Abbey's composer had nothing to say back ("hi" got "Tell me a bit more about what you have in mind"),
read "good morning" as news to savour and "see you tomorrow" as a goodbye to ask about, and Aviva declined "hi" as
outside her documentation. The conventional phrases are a closed list matched against the whole message (a message
that says anything more is not small talk); a bare "goodbye" is not in the list: on its own it can be a farewell of
another kind, and is left to the crisis signal. People say the same things in endless other words ("nice one, that
worked", "lol ok"), so where the list finds nothing a short message is read by a learned head (`SmallTalkHead`) on
its sentence vector. The replies follow the persona's registry entry: its name, what it is, and its style.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Final

from services.common.persona.logic import Plan, said_as_is, step
from services.common.registry import persona_registry
from services.common.registry.model import PersonaEntry
from services.common.safety.head import SoftmaxHead
from services.common.text import unsaid

HEAD_PATH: Final = Path(__file__).parent / "models" / "small_talk.json"
NOT_SMALL_TALK: Final = "none"
THANKS: Final = "thanks"  # a kind only the head reads (Abbey meets thanks as thanks: `empathy.is_gratitude`)
# Laughter typed as a word ("lol", "haha").
LAUGHTER: Final = r"(?i:lol+|lmao+|rofl|ha(?:ha)+h?|he(?:he)+)"
MAX_HEAD_WORDS: Final = 8  # longer messages say something more; the head was fitted on short ones
# A sentence vector barely tells "my" from "your": "what's my name?" reads as who she is, "what are my hobbies?" as
# her favourites. Small talk asks about the persona, so a question about the writer's own is left to the rest.
_WRITERS_OWN = re.compile(r"\b(?:my|mine|our|am i)\b", re.I)
_ASKS = re.compile(
    r"\?\s*$|^\s*(?:what|who|whom|whose|where|when|why|how|which|do|does|did|is|are|am|can|could|would|will|should)\b",
    re.I,
)

# Whom small talk may be addressed to, beside the personas' names (from the registry): "hi there", "thanks mate".
_ADDRESSED = r"there|everyone|all|friend|mate|buddy"
_END = r"\s*[.!?:)\s]*$"
# A greeting before a question of small talk ("hey, how's it going", "hello, who are you?").
_GREETED = r"(?:(?:hi|hey|hello|hiya|heya)(?:\s+there)?\W+)?"
_ABOUT_HER = (
    r"(?:what can you do|what do you do|what are you (?:for|good at|able to (?:do|help (?:me )?with))|"
    r"how can you help(?: me)?|what can you help (?:me )?with|who are you|what are you)"
)
_FAVOURITE = r"(?:fav(?:ou?rite)?|fave)"


@cache
def kinds() -> dict[str, re.Pattern[str]]:
    """Each kind's pattern for a whole message; the personas' names come from the registry."""
    names = "|".join(re.escape(name) for name in persona_registry().entries)
    name = rf"(?:\s*,?\s*(?:{names}|{_ADDRESSED}))?"
    return {
        "how_are_you": re.compile(
            rf"^\s*{_GREETED}(?:how are (?:you|u|things)(?: doing| today)?|how's it going|"
            rf"how are you keeping|how have you been|what's up|wassup|sup){name}{_END}",
            re.I,
        ),
        "greeting": re.compile(
            rf"^\s*(?:hi|hey|hello|hiya|howdy|yo|greetings|good (?:morning|afternoon|evening|day)|morning|evening)"
            rf"(?:\s+again)?{name}{_END}",
            re.I,
        ),
        "farewell": re.compile(
            rf"^\s*(?:bye(?: for now| bye)?|see (?:you|ya|u)(?: (?:later|soon|tomorrow|tmrw|next time|around))?|"
            rf"good ?night|night night|nighty night|talk (?:to you )?(?:later|soon|tomorrow)|catch you later|"
            rf"(?:i'?ve |i )?gotta go|have a (?:good|nice|great) (?:day|evening|night|weekend)|ttyl|cya){name}{_END}",
            re.I,
        ),
        # Who she is and what she does, after a greeting or two together ("hello, who are you and what can you do?").
        "capabilities": re.compile(
            rf"^\s*{_GREETED}{_ABOUT_HER}(?:\s*(?:,|and|&|\?)\s*{_ABOUT_HER})?{name}{_END}",
            re.I,
        ),
        "identity": re.compile(
            rf"^\s*(?:are you (?:a |an )?(?:bot|robot|ai|human|real(?: person)?|person|chatbot|machine)|"
            rf"am i (?:talking|speaking|chatting) (?:to|with) (?:a |an )?(?:bot|robot|ai|human|real person|person)|"
            rf"what(?:'s| is) your name|do you have a name|what should i call you|"
            rf"who (?:made|built|created|wrote|programmed|trained) you){name}"
            rf"{_END}",
            re.I,
        ),
        # Her own favourites or pastimes ("what's your favourite movie?", "do you have any hobbies"): she has none, and
        # asks for theirs (it had been taken for a task she cannot write).
        "favourites": re.compile(
            rf"^\s*{_GREETED}(?:(?:what(?:'s| is|s)|whats) (?:your|ur|yr) {_FAVOURITE} (?P<thing>\w+(?: \w+)?)|"
            rf"do (?:you|u) have (?:a |any )?{_FAVOURITE}s?(?: (?P<other>\w+(?: \w+)?))?|"
            rf"what do (?:you|u) (?:like|love|enjoy) (?:to do|doing)(?: for fun| in your (?:free|spare) time)?|"
            rf"do (?:you|u) have (?:any )?hobbies|what are your hobbies|what(?:'s| is) your hobby){name}{_END}",
            re.I,
        ),
        "laughter": re.compile(rf"^\s*(?:{LAUGHTER}|😂+|🤣+|😆+|😄+)\s*[.!?\s]*$", re.I),
        # Declining or saying there is nothing more ("nah I'm good", "no thanks", "that's all"). A bare "no" is left
        # out:
        # it can answer a safety question.
        "declining": re.compile(
            rf"^\s*(?:(?:nah|nope|no)\W+(?:thanks|thank you|ta|i'?m (?:good|fine|ok(?:ay)?|all set)|all good|"
            rf"that'?s all)(?:\W+thanks)?|"
            rf"nah|i'?m (?:good|fine|ok(?:ay)?|all set)(?:\W+thanks)?|all good|no worries|not now|maybe later|"
            rf"that'?s (?:all|it)(?: for now)?|nothing else){name}{_END}",
            re.I,
        ),
        "acknowledgement": re.compile(
            rf"^\s*(?:ok(?:ay)?|k|kk|alright|all right|sure|got it|fair enough|sounds good|cool|nice one|noted|"
            rf"right|understood|will do|makes sense){name}{_END}",
            re.I,
        ),
    }


# The replies by the persona's style (its registry entry's `generation.style`): warm, or short and direct.
_REPLIES: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "warm": {
        "greeting": (
            "Hi! It's good to hear from you. How are you doing today?",
            "Hello! How are things with you today?",
            "Hey! What's on your mind today?",
        ),
        "how_are_you": (
            "I'm doing well, thank you for asking. How are you?",
            "All good here, thanks. How are things with you?",
        ),
        "farewell": (
            "Take care of yourself. I'm here whenever you want to talk again.",
            "Bye for now; it was good talking with you.",
        ),
        "laughter": ("Glad that made you smile.", "Ha, I'm glad you enjoyed that."),
        "declining": (
            "All right. I'm here whenever you want to talk.",
            "No problem. Just say if anything comes up.",
        ),
        "acknowledgement": (
            "Good. If anything else comes up, I'm here.",
            "Great. Is there anything else on your mind?",
        ),
        "thanks": ("You're very welcome; I'm glad it was useful.",),
        "identity": ("I'll listen and help as well as I can, and I'll be honest about what I don't know.",),
        "capabilities": ("I'm here to listen and to help with whatever is on your mind.",),
        "ask": ("What would you like to talk about?",),
    },
    "direct": {
        "greeting": ("Hi. What are you working on?", "Hello. What can I help you with?"),
        "how_are_you": ("Fine, thanks. What can I help you with?",),
        "farewell": ("Bye. Good luck with it.", "Bye for now."),
        "laughter": ("Ha. Anything else I can help with?",),
        "declining": ("All right.", "Fine. Ask if anything comes up."),
        "acknowledgement": ("Good.", "Good. Anything else?"),
        "thanks": ("You're welcome.", "Glad it helped."),
        "identity": ("I answer precise questions, and I say so when I don't know.",),
        "capabilities": ("Ask me a precise question and I'll answer it from the documentation I hold.",),
        "ask": ("What do you need?",),
    },
}
_NIGHT = re.compile(r"\bnight\b", re.I)
_MORNING = re.compile(r"\bmorning\b", re.I)


def small_talk_kind(text: str) -> str:
    """The kind of small talk the whole message is, or "" when it says anything more."""
    if len(text) > 60:
        return ""
    return next((kind for kind, pattern in kinds().items() if pattern.match(text)), "")


class SmallTalkHead:
    """What kind of small talk a short message is, read from its sentence vector (`make train-small-talk`,
    services/common/persona/training/small_talk.py): the likeliest kind when it reaches the head's threshold, picked
    so that few messages that are not small talk are taken for it."""

    def __init__(self, head: SoftmaxHead) -> None:
        self.head = head

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> SmallTalkHead:
        return cls(SoftmaxHead.read(path))

    @staticmethod
    def may_read(text: str) -> bool:
        """Whether a message is short enough to be only small talk, and is no question about the writer's own."""
        return 0 < len(text.split()) <= MAX_HEAD_WORDS and not (_ASKS.search(text) and _WRITERS_OWN.search(text))

    def kind(self, vector: Sequence[float] | None) -> str:
        """The kind of small talk, or "" below the threshold or with no vector."""
        if not vector:
            return ""
        kind, probability = self.head.likeliest(vector, NOT_SMALL_TALK)
        return kind if probability >= self.head.threshold else ""


def reply(kind: str, text: str, said: set[str], persona: str) -> str:
    """`persona`'s short answer in kind, not one already said in this session when another is left."""
    entry = persona_registry().entries[persona]
    warm = entry.generation.style == "warm"
    replies = _REPLIES["warm" if warm else "direct"]
    if kind == "capabilities":
        return _capabilities(entry, replies)
    if kind == "favourites":
        return _favourites(text)
    if kind == "identity":
        who = f"I'm an AI assistant, not a person: I'm {entry.display_name}, part of persona-mesh."
        return f"{who} {replies['identity'][0]}"
    if warm and kind == "farewell" and _NIGHT.search(text):
        return "Good night, and sleep well. I'm here whenever you want to talk."
    if warm and kind == "greeting" and _MORNING.search(text):
        return "Good morning! How are you doing today?"
    return unsaid(replies[kind], zlib.crc32(text.lower().encode("utf-8")), said)


def small_talk_plan(kind: str, answer: str, persona: str, temperature: float) -> Plan:
    """A persona's whole answer to small talk: `answer` (`reply`), and a prompt that has a model backend reply as
    briefly, in kind."""
    name = kind.replace("_", " ")
    instruction = (
        f"You are {persona_registry().entries[persona].display_name}. The user's message is only small talk "
        f"({name}): reply in kind, in one or two short sentences, like this:"
    )
    return said_as_is(instruction, answer, temperature, step(f"Small talk ({name}): answered in kind, briefly", 0.8))


def _favourites(text: str) -> str:
    """No favourites or pastimes of its own, said plainly, and theirs asked for."""
    found = kinds()["favourites"].match(text)
    thing = found and (found.group("thing") or found.group("other"))
    if thing:
        return (
            f"I don't have a favourite {thing.lower()} of my own: I'm an AI, so I don't experience things the way "
            f"you do. I'd love to hear yours, though. What's your favourite {thing.lower()}?"
        )
    return (
        "I don't have hobbies of my own: I'm an AI, and talking with people is what I do. What do you like to do "
        "when you get the time?"
    )


def _capabilities(entry: PersonaEntry, replies: dict[str, tuple[str, ...]]) -> str:
    """What the persona is, and who else answers here: the other answering personas, from the registry."""
    others = [
        f"{other.display_name}, {_what(other.display_name, other.description)}"
        for name, other in persona_registry().entries.items()
        if name != entry.name and other.role == "answering"
    ]
    text = f"I'm {entry.display_name}, {_what(entry.display_name, entry.description)}. {replies['capabilities'][0]}"
    if others:
        text += f" For other things there is {' and '.join(others)}: just ask, and the right one of us answers."
    return f"{text} {replies['ask'][0]}"


def _what(name: str, description: str) -> str:
    """ "Aviva is a direct technical expert. She ..." -> "a direct technical expert"."""
    sentence = re.split(r"(?<=[.!?])\s", description.strip(), maxsplit=1)[0].rstrip(".")
    return re.sub(rf"^{re.escape(name)} is\s+", "", sentence)
