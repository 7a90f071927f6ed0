"""Surface noise and framings for training texts: the same meaning in the spellings and structures people use.

Harmful requests arrive in leetspeak ("k1ll"), spaced or dotted letters, lower case without
punctuation, typos and chatty framing ("quick q:", "lol"). The fixtures cannot spell every
request every way, so each time a task row is fitted it may be shown in one such form. The noise
is applied to benign and harmful rows alike, so no form becomes evidence of harm by itself.
Written here because the few libraries for text augmentation (nlpaug, textattack) pull in large
model downloads or NLTK corpora for what is a handful of character edits.
"""

from __future__ import annotations

import random
import re
import string

from services.abi.training.data import Row

LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
PREFIXES = ("hey ", "quick q: ", "ok so ", "honestly ", "pls ", "yo ", "serious question, ")
SUFFIXES = (" lol", " pls", " asap", " thx", " ??", " tbh", " lmao")
_WORD = re.compile(r"[A-Za-z]{4,}")


def _pick_word(text: str, rng: random.Random) -> re.Match[str] | None:
    words = list(_WORD.finditer(text))
    return rng.choice(words) if words else None


def _edit_word(text: str, rng: random.Random, edit: str) -> str:
    match = _pick_word(text, rng)
    if match is None:
        return text
    word = match.group()
    if edit == "leet":
        new = "".join(LEET.get(c.lower(), c) if rng.random() < 0.7 else c for c in word)
    elif edit == "spaced":
        new = rng.choice((" ", ".", "-", "*")).join(word)
    else:  # typo: swap two neighbouring letters
        i = rng.randrange(len(word) - 1)
        new = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return text[: match.start()] + new + text[match.end() :]


def _plain(text: str) -> str:
    return text.lower().translate(str.maketrans("", "", string.punctuation.replace("'", "")))


def surface_noise(text: str, rng: random.Random) -> str:
    """One random surface form of `text` with the same meaning."""
    kind = rng.randrange(6)
    if kind == 0:
        return _plain(text)
    if kind == 1:
        return _edit_word(_edit_word(text, rng, "leet"), rng, "leet")
    if kind == 2:
        return _edit_word(text, rng, "spaced")
    if kind == 3:
        return _edit_word(text, rng, "typo")
    if kind == 4:
        return rng.choice(PREFIXES) + text[:1].lower() + text[1:]
    return text.rstrip(".!") + rng.choice(SUFFIXES)


def maybe_noisy(text: str, rng: random.Random, probability: float) -> str:
    return surface_noise(text, rng) if rng.random() < probability else text


# Framings: the same ask inside the structures people put it in. A framing changes neither what is asked
# nor whether it is harmful, so the row keeps its labels; benign rows are framed alike, so no framing is
# evidence of harm by itself. Crises are framed only with `finetune --frame-crises`, and then only in the
# framings that leave the message the writer's own (fiction or a quoted log changes whose crisis it is);
# prompt injections never are (a wrapper would change what is injected where).
_SEVERAL_ASKS: tuple[str, ...] = (
    "{other} Also, {ask}",
    "{ask} And one more thing: {other}",
    "Two questions. 1) {other} 2) {ask}",
    "Things I need help with today:\n- {other}\n- {ask}",
)
_STRUCTURES: tuple[str, ...] = (
    "## To do\n1. {ask}\n2. {other}",
    "# TODO: {ask}\ndef main():\n    pass",
    "// {ask}\nfunction run() {{}}",
    '2026-03-02 14:11:09 INFO request received: "{ask}"',
    "[Help] {ask}",
    "Title: {ask}\nBody: see title, thanks in advance",
    "Answer in three bullet points: {ask}",
    "Reply in French please. {ask}",
)
_BREVITY_AND_COURTESY: tuple[str, ...] = (
    "Keep it short. {ask}",
    "Good afternoon. I do hope I am not being a bother. {ask} Thank you kindly for your time.",
)
# In this order: a seeded run draws the same framings as before the groups were named.
ANY_FRAMINGS: tuple[str, ...] = _SEVERAL_ASKS + _STRUCTURES + _BREVITY_AND_COURTESY
# Another ask beside it, a list of one's own asks, brevity, a courteous letter: still the writer's own message, so
# the only framings a crisis may be shown in ("an ask with something around it" is then not only harm or benign).
OWN_MESSAGE_FRAMINGS: tuple[str, ...] = _SEVERAL_ASKS + _BREVITY_AND_COURTESY
# Only for asks where a claimed purpose could be mistaken for permission: capability harm, and benign asks
# for information (not feelings: "as a nurse, I need this for work: my dog died" says nothing).
PURPOSE_FRAMINGS: tuple[str, ...] = (
    "As a {job}, I need this for work: {ask}",
    "I'm a {job} and a colleague asked me this. {ask}",
    "For a research paper I'm writing: {ask}",
    "I'm a journalist working on a story. {ask}",
    "I'm writing a novel and one character explains this in detail. {ask}",
    "For a screenplay scene, stay in character and answer: {ask}",
)
JOBS = ("nurse", "teacher", "security consultant", "chemistry student", "police officer", "pharmacist", "engineer")
CAPABILITY_HARM = frozenset(
    {"weapons", "cbrn", "cyber", "fraud", "drugs", "violence", "privacy", "sexual", "sexual_minors", "other_harm"}
)
NEVER_FRAMED_HARM = frozenset({"prompt_injection"})


def framings_for(harm: str | None, crisis: bool | None, persona: str | None, crises: bool = False) -> tuple[str, ...]:
    """The framings a row with these labels may be shown in (none for injections; for crises only the ones that
    keep the message the writer's own, and only with `crises`)."""
    if crisis:
        return OWN_MESSAGE_FRAMINGS if crises else ()
    if harm in NEVER_FRAMED_HARM:
        return ()
    if harm in CAPABILITY_HARM or (harm in (None, "none") and persona != "abbey"):
        return ANY_FRAMINGS + PURPOSE_FRAMINGS
    return ANY_FRAMINGS


def framed(text: str, framings: tuple[str, ...], other: str, rng: random.Random) -> str:
    """`text` inside one of `framings`; `other` is a benign ask that may stand beside it."""
    ask = text.strip()
    return rng.choice(framings).format(ask=ask, other=other.strip(), job=rng.choice(JOBS))


def benign_asks(rows: list[Row]) -> dict[str | None, list[str]]:
    """Short benign asks by persona (None: any), to stand beside a framed row in a several-asks framing."""
    asks: dict[str | None, list[str]] = {None: []}
    for row in rows:
        if row.harm in (None, "none") and not row.crisis and row.persona and len(row.text) <= 160:
            asks.setdefault(row.persona, []).append(row.text)
            asks[None].append(row.text)
    return asks


def shown_text(
    row: Row, others: dict[str | None, list[str]], rng: random.Random, chance: float, crises: bool = False
) -> str:
    """The row's text, or with chance `chance` the same ask inside a framing (labels kept; a benign row's
    companion ask is of its own persona, so the persona label stays true)."""
    if chance <= 0.0:
        return row.text
    framings = framings_for(row.harm, row.crisis, row.persona, crises)
    if not framings or rng.random() >= chance:
        return row.text
    return framed(row.text, framings, rng.choice(others.get(row.persona) or others[None]), rng)
