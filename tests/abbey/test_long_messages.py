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
