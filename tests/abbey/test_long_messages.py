"""A message as long as the gateway accepts (32,000 characters) is read for what to say back from its start only."""

from __future__ import annotations

from services.abbey.facts import extract_facts
from services.abbey.language import MAX_PARSE_CHARS, extract, parse


def test_a_long_message_is_parsed_from_its_start_once() -> None:
    """Two 31,000-character messages at once had run past the gateway's deadline: spaCy parsed each whole, twice."""
    text = "My dog Biscuit died last week. " + "a, " * 10_300
    doc = parse(text)
    assert len(doc.text) == MAX_PARSE_CHARS
    assert parse(text) is doc  # what is said back and the facts share one parse
    assert "your dog Biscuit" in extract(text).people or any(pet == "dog" for pet, _ in extract(text).pets)
    assert any(fact.value == "Biscuit" for fact in extract_facts(text))


def test_the_checks_on_a_whole_message_take_no_longer_on_a_long_one() -> None:
    """One pattern spanning a sentence of names took 6 s on a 32,000-character message; each check reads it in
    milliseconds (the gateway's deadline is seconds)."""
    import time

    from services.abbey.hashtags import spelled_out
    from services.abbey.language import laughs_off_a_mishap, tells_a_close_one_died, tells_a_close_one_is_ill

    names = "my mum and my dad and my dog " * 1_100
    tags = "#verylonghashtagwithwords " * 1_200
    for check, text in (
        (tells_a_close_one_is_ill, names),
        (tells_a_close_one_died, names),
        (laughs_off_a_mishap, names + " lol"),
        (spelled_out, tags),
    ):
        started = time.perf_counter()
        check(text)
        assert time.perf_counter() - started < 0.5, check.__name__
