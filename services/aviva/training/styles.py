"""Training questions asked the way people ask in chat, for the cross-encoder (`cross_encoder.py --styled`).

The training questions are terse ("stage only some hunks of a file interactively"). Asked with a story
before them, or as an instruction, or in non-native English, the fine-tuned cross-encoder still put the
right passage first for many but with far less confidence (median probability 0.28 against 0.81 for the
terse dev questions, on the docs QA styles tuning set: services/aviva/README.md), under the answer threshold.
Re-wording each training question at random into such a message, with the same passages and labels,
teaches it that the story around an ask does not change which passage answers it.

Everything here is generic: the stories are everyday work context unrelated to any documentation page.
"""

from __future__ import annotations

import random
import re

STORIES = (
    "I'm on call this week and the pager has not stopped.",
    "My team lead asked me to sort this out before the release on Friday.",
    "We inherited this project from a contractor who left no notes.",
    "The CI box has been flaky all morning and everyone is blaming my change.",
    "I've been going round in circles on this for an hour.",
    "This is for a small internal tool that only our team uses.",
    "Our sprint demo is tomorrow and I still have three tickets open.",
    "I'm new here and don't want to ask the seniors something basic again.",
    "We're a tiny startup, so there's no ops team to ask.",
    "I'm doing this on a shared build server, so I can't install anything new.",
    "My manager wants it in the runbook by the end of the day.",
    "The docs on our wiki are two years out of date.",
    "It worked on my laptop, but the staging box behaves differently.",
    "Security review is next week and I'm cleaning things up before it.",
    "I'm writing a script that the night shift will run without me.",
    "A colleague showed me a way once but I forgot it.",
    "We moved offices last month and half the machines were reinstalled.",
    "I'm teaching an intern and want to show the proper way.",
    "The customer is waiting on a fix and I'd rather not guess.",
    "I usually use a GUI for this but I'm on a server over ssh today.",
)
OPENERS = (
    "How do I {q}?",
    "What's the way to {q}?",
    "Is there a way to {q}?",
    "I need to {q}. How?",
    "Can you tell me how to {q}?",
)
INSTRUCTIONS = (
    "Give me the command to {q}.",
    "Show me how to {q}.",
    "Tell me how to {q}, please.",
    "Explain how to {q}.",
    "I want to {q}; what do I use?",
)
NON_NATIVE = (
    "Please how I can {q}?",
    "Hello, I want {q}, what is the way for do it?",
    "How is possible to {q}?",
    "Kindly tell the method for {q}.",
    "Which is the way to {q} please?",
)
_QUESTION_WORDS = re.compile(r"^(how|what|which|why|where|when|who|is|are|can|could|should|do|does|did)\b", re.I)


def _task(question: str) -> str:
    """A terse task ("stage only some hunks") as a verb phrase; a full question stays as it is."""
    return question.strip().rstrip("?.!").strip()


def styled(question: str, rng: random.Random) -> str:
    """`question` re-worded as one of: a story then the ask, an instruction, non-native English."""
    task = _task(question)
    is_question = bool(_QUESTION_WORDS.match(task))
    kind = rng.choice(("story", "story", "instruction", "non_native"))
    if kind == "story":
        story = " ".join(rng.sample(STORIES, rng.randint(1, 3)))
        ask = question.strip() if is_question else rng.choice(OPENERS).format(q=task[:1].lower() + task[1:])
        return f"{story} {ask}"
    if is_question:
        return f"{rng.choice(STORIES)} {question.strip()}"
    template = rng.choice(INSTRUCTIONS if kind == "instruction" else NON_NATIVE)
    return template.format(q=task[:1].lower() + task[1:])
