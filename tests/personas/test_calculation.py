"""Calculations asked in words (services/common/calculation.py): what counts as one, and what each is computed to."""

from __future__ import annotations

import pytest

from services.common.calculation import calculate, calculation_in
from services.common.persona.calculated import calculation_plan, review_calculation


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("What's 15% of 240?", "15% of 240 is 36."),
        ("how much is 20 percent of 85.50", "20% of 85.5 is 17.1."),
        # A bare F or C is a temperature beside another one (to pint they are a farad and a coulomb).
        ("whats 72 f in celsius", "72 °F = 22.2222 °C."),
        ("How do I convert 350 Fahrenheit to Celsius?", "350 °F = 176.667 °C."),
        ("-40 C in F", "-40 °C = -40 °F."),
        ("how many cm in an inch", "1 inch = 2.54 cm."),
        ("how many teaspoons in 3 tablespoons", "3 tablespoons = 9 teaspoons."),
        ("5 miles to km", "5 miles = 8.04672 km."),
        ("100 square feet to square meters", "100 square feet = 9.2903 square meters."),
        ("1 fl oz to ml", "1 fl oz = 29.5735 ml."),
        ("how many light years in a parsec", "1 parsec = 3.26156 light years."),
        # Asked inside greetings and thanks, with an amount in words (found in an empathy tuning set).
        (
            "Good morning. Could you please tell me how many tablespoons are in a quarter cup? Thank you kindly, "
            "Dorothy.",
            "0.25 cup = 4 tablespoons.",
        ),
        ("how many teaspoons in three quarters of a cup", "0.75 cup = 36 teaspoons."),
        ("Hi! Quick question: what's 15% of 240? Thanks!", "15% of 240 is 36."),
        # Forms found on the calculations tuning set (tests/selection/calculations_selection_v1.jsonl).
        ("what percent is 30 of 120", "30 is 25% of 120."),
        ("20% off 80", "80 less 20% is 64."),
        ("increase 200 by 10 percent", "200 increased by 10% is 220."),
        ("what is forty two times ten", "42 \u00d7 10 = 420."),
        ("what is 12 squared", "12 ^ 2 = 144."),
        ("the shelf is 80 cm wide, what is that in inches", "80 cm = 31.4961 inches."),
        ("convert 3 UK pints to litres", "3 UK pints = 1.70478 litres."),
        ("what is 17 times 23?", "17 \u00d7 23 = 391."),
        ("hey, what is 1,234 * 2", "1234 \u00d7 2 = 2,468."),
        ("2^10", "2^10 = 1,024."),
        ("what is 7 / 3?", "7 \u00f7 3 = 2.33333."),
    ],
)
def test_a_calculation_asked_in_words_is_computed(text: str, sentence: str) -> None:
    calculation = calculate(text)
    assert calculation is not None and calculation.sentence == sentence


@pytest.mark.parametrize(
    "text",
    [
        "I ran 5 miles to the shop and back",  # a number in a story
        "Booked a table for six at 7",
        "convert 5 kg to meters",  # different dimensions
        "convert 10 usd to eur",  # no exchange rates
        "how do i convert a string to int in python",
        "how many people live in France",
        "what's 1/0",
        "9**9**9",  # would compute for ever
        "1,5 + 2",  # a decimal comma or a list: not guessed
        "5 to 10",
        "72 f in kg",  # a temperature beside a mass
        "Hi. I ran 5 miles today. Thanks.",  # the one sentence left is a story
        "the baby weighed 7 lb 8 oz, what is that in kg",  # two quantities: neither alone is the answer
        "my son is 12, what is that in months",  # a number with no unit
        # A zero denominator or a result out of range: None, not an exception (they had raised ValueError).
        "what is 1/0% of 240",
        "40 is what percent of 0/0",
        "9" * 190 + "% of 2",
    ],
)
def test_what_is_not_a_calculation_is_left_to_the_persona(text: str) -> None:
    assert calculate(text) is None


def test_the_plan_tells_a_model_the_result_and_the_review_checks_it_was_stated() -> None:
    calculation = calculate("What's 15% of 240?")
    assert calculation is not None
    plan = calculation_plan(calculation, "Aviva", 0.2)
    assert plan.draft == "15% of 240 is 36."
    assert "15% of 240 is 36." in plan.system_prompt and "do not recompute" in plan.system_prompt
    kept = review_calculation(plan, "It's 36.")
    assert kept is not None and kept.confidence == plan.confidence
    missed = review_calculation(plan, "It's about 35.")
    assert missed is not None and missed.confidence < plan.confidence
    assert "does not state the computed result (36)" in missed.extra_reasoning[0].description
    other = calculation_plan(calculation, "Aviva", 0.2)
    other.notes.pop("calculation")
    assert review_calculation(other, "anything") is None  # not a calculated answer: the persona's own review


async def test_a_message_without_a_number_never_reaches_pint() -> None:
    assert await calculation_in("what is the meaning of life") is None
    computed = await calculation_in("how many cm in an inch")  # no digit, but "how many": computed in a thread
    assert computed is not None and computed.sentence == "1 inch = 2.54 cm."
