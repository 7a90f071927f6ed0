"""The named-feeling vocabulary: labels Abi knows, strengths graded by VADER's boosters, negation respected."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from services.abbey import feeling_words
from services.abbey.feeling_words import _covered, named_feelings, strongest


@pytest.mark.parametrize(
    ("text", "label", "strength"),
    [
        ("I'm absolutely livid about the deposit", "anger", "strong"),
        ("really annoyed that the bus left early", "annoyance", "strong"),  # VADER booster
        ("I am little bit annoyed with my flatmate", "annoyance", "mild"),  # dampener
        ("there's a small knot in my stomach about Friday", "nervousness", "mild"),
        ("the smell made me gag a bit", "disgust", "mild"),  # dampened after the phrase
        ("I confess to some nerves about the viva", "nervousness", "mild"),
        ("My test is in an hour and I feel sick with nerves", "nervousness", "strong"),
        ("Oh great, another meeting that could have been an email", "annoyance", "mild"),
        ("I keep refreshing the page, I'm ecstatic", "joy", "strong"),
        ("Simple stuff, but I feel content.", "joy", "mild"),
        ("He mocked her lunch. Left a bad taste in my mouth.", "disgust", "mild"),
        ("Oh, interesting, so tomatoes are fruit?", "surprise", "mild"),
        ("no way no way she actually said yes", "surprise", "strong"),
        ("They're engaged after three weeks. I cannot process this.", "surprise", "strong"),
        ("Short days again. I always feel a bit low in November.", "sadness", "mild"),
        ("Last match with the old squad. Bittersweet.", "sadness", "mild"),
        ("The landlord ignored me again and I'm beyond vexed.", "anger", "strong"),
        ("I write to express my revulsion at the state of the kitchen.", "disgust", "strong"),
        # after "my boss yelled at me in front of everyone": shame, not the annoyance the session carried
        ("yeah. i just feel so small", "embarrassment", "plain"),
        ("he made me feel small in front of the whole team", "embarrassment", "plain"),
        # boredom has no GoEmotions label; Abi read it as disappointment ("you cared about how it would turn out")
        ("kind of bored this afternoon", "annoyance", "mild"),
        ("bored out of my mind at work", "annoyance", "plain"),
    ],
)
def test_a_named_feeling_is_found_with_how_strongly_it_is_put(text: str, label: str, strength: str) -> None:
    found = strongest(named_feelings(text))
    assert found is not None and (found.label, found.strength) == (label, strength)


def test_negated_and_technical_words_name_no_feeling() -> None:
    texts = (
        "I'm not worried about it",
        "don't worry about the formatting",
        "kernel panic on boot",
        "shut down the server",
        "how do I calculate gross profit in Excel",
        "there is a nasty race condition in my code",
        "my script can't process this CSV file",
        "is there no way to stream the response?",
        "I'm afraid the build still fails",  # politeness
        "the battery is a bit low, how do I see what drains it",
        "set the log level low for the worker",
    )
    for text in texts:
        assert named_feelings(text) == (), text


def test_pain_is_answered_before_cheer_and_the_strongest_pain_first() -> None:
    found = strongest(named_feelings("Happy for her, of course, but I'll miss our Friday walks"))
    assert found is not None and found.group == "sadness"
    sarcastic = strongest(
        named_feelings("Oh brilliant, he gave himself a bonus after the layoffs. Makes my skin crawl.")
    )
    assert sarcastic is not None and (sarcastic.group, sarcastic.strength) == ("disgust", "strong")


def test_the_vocabulary_only_names_labels_of_an_ekman_group(tmp_path: Path) -> None:
    bad = tmp_path / "words.yaml"
    bad.write_text("stress:\n  plain: [stressed]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a GoEmotions label"):
        feeling_words._vocabulary(bad)
    bad.write_text("anger:\n  huge: [livid]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="strengths"):
        feeling_words._vocabulary(bad)


def test_a_feeling_after_a_negated_stop_is_kept_on_not_negated() -> None:
    """ "Can't stop grumbling about the train company" named nothing: "can't" negated the words after it."""
    for text, label in (("Can't stop grumbling about the trains", "annoyance"), ("won't stop worrying", "nervousness")):
        found = strongest(named_feelings(text))
        assert found is not None and found.label == label, (text, found)
    assert named_feelings("I'm not annoyed") == ()


def test_surprise_said_in_everyday_words_is_named() -> None:
    """ "Not what I expected", "wasn't expecting that", "you won't believe", "still in shock": surprise, graded as
    put; another person's expectation names none of the writer's."""
    for text, strength in [
        ("The new office is all glass walls. Not what I expected.", "mild"),
        ("wasn't expecting that, my nan just joined instagram", "mild"),
        ("You won't believe who I bumped into at the airport", "plain"),
        ("Still in shock: they offered me the job on the spot", "strong"),
    ]:
        named = strongest(named_feelings(text))
        assert named is not None and (named.group, named.strength) == ("surprise", strength), text
    assert strongest(named_feelings("He did not expect me to say no")) is None


def test_a_feeling_said_by_denying_its_opposite_is_named() -> None:
    """ "Couldn't be happier" is joy at its strongest; "not doing great", "I've been better" a low mood put mildly;
    "I'm feeling great" stays unread here (no feeling word of these)."""
    for text, group, strength in [
        ("Couldn't be happier, the keys to our first flat are in my hand", "joy", "strong"),
        ("Honestly not doing great since the move", "sadness", "mild"),
        ("I've been better, the week got away from me", "sadness", "mild"),
        ("Can't say I'm feeling great about how the party went", "sadness", "mild"),
    ]:
        named = strongest(named_feelings(text))
        assert named is not None and (named.group, named.strength) == (group, strength), text


def test_a_phrase_inside_a_longer_one_is_found_in_one_sweep() -> None:
    """`_covered` is the pairwise rule (a span within a strictly longer one) without comparing every pair."""
    generator = random.Random(0)
    for _ in range(2_000):
        spans = {
            (s, s + generator.randint(1, 8)) for s in (generator.randint(0, 20) for _ in range(generator.randint(0, 8)))
        }
        pairwise = {a for a in spans if any(b[0] <= a[0] and a[1] <= b[1] and b[1] - b[0] > a[1] - a[0] for b in spans)}
        assert _covered(spans) == pairwise


def test_a_feeling_named_thousands_of_times_is_read_without_stalling() -> None:
    """A denial-of-service guard, not a speed figure: every pair of matches was compared, and "I am so sad" repeated
    to 32,000 characters held the event loop ~5 s."""
    started = time.process_time()
    named_feelings(("I am so sad " * 2_700)[:32_000])
    assert time.process_time() - started < 1.0
