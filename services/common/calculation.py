"""Arithmetic, percentages and unit conversions asked in words, computed exactly, so no persona guesses a number.

"What's 15% of 240?", "convert 350 Fahrenheit to Celsius", "how many cm in an inch", "17 * 23": no documentation
answers them (Aviva's domain gate declined them, Abbey said she had no source), and a language model gets
arithmetic wrong often enough that a computed result is worth more than its prose. Pint, a well-kept units library,
converts between units, offsets (temperatures) included, and evaluates the arithmetic with its own tokenizer and
tree (never `eval`). Only the whole ask is read as a calculation: a number inside a story ("I ran 5 miles to the
shop and ...") is not one. Pint is imported on the first calculation, in a worker thread (`calculation_in`): its
registry costs a process ~28 MiB, which a replica that never converts does not pay.
"""

from __future__ import annotations

import asyncio
import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from text_to_num import alpha2digit

from services.common.text import split_sentences

_NUMBER = r"-?\d+/\d+|-?\d[\d,]*(?:\.\d+)?|-?\.\d+"
# A digit, "how many", or a number in words ("sixty five fahrenheit in celsius").
_MAY_CALCULATE = re.compile(
    r"\d|\bhow many\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fifteen|twenty|"
    r"thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand)\b",
    re.IGNORECASE,
)
# Words around the ask that say nothing about the numbers ("hey, what's", "can you convert", "please", "?").
_LEAD = re.compile(
    r"^(?:(?:hi|hey|hello|ok|okay|so|quick one|quick question|sir|madam|please|pls|kindly)\b[,!.:]?\s*)*"
    r"(?:(?:please|pls|kindly|can you|can u|could you|would you|quickly|just)\s+)*"
    r"(?:(?:tell me|do you know|i'?d like to know|i would like to know|i want to know|i wonder)\s*,?\s*)?"
    r"(?:(?:how (?:do|can|would|should) (?:i|you)|how to)\s+(?:convert|calculate|work out|change)|"
    r"what(?:'s| is| are)|whats|how much is|how much are|how fast is|how long is|how heavy is|how far is|calculate|"
    r"compute|work out|convert|tell me|do|what do you get for|what does)?\s*",
    re.I,
)
_TAIL = re.compile(r"(?:\s*(?:please|pls|thanks|thank you|equal|equals|make|come to|for me|lol|[?.!=]))*\s*$", re.I)
_PERCENT = r"\s*(?:%|percent|per cent)"
_PERCENT_OF = re.compile(rf"^({_NUMBER}){_PERCENT}\s+of\s+({_NUMBER})$", re.I)
# "20% off 80": what is paid after the discount.
_PERCENT_OFF = re.compile(rf"^({_NUMBER}){_PERCENT}\s+off\s+({_NUMBER})$", re.I)
# "what percent is 30 of 120", "40 is how many percent of 250".
_WHAT_PERCENT = re.compile(
    rf"^(?:what percent(?:age)? (?:is|of)\s+({_NUMBER})\s+(?:of|is)|"
    rf"({_NUMBER}) is (?:what|how many) percent(?:age)? of)\s+({_NUMBER})$",
    re.I,
)
# "increase 80 by 15 percent".
_CHANGE_BY = re.compile(rf"^(increase|decrease|reduce)\s+({_NUMBER})\s+by\s+({_NUMBER}){_PERCENT}$", re.I)
_CONVERT = re.compile(rf"^({_NUMBER})\s*([^\d\s].*?)\s+(?:to|in|into|as)\s+([^\d\s].*?)$", re.I)
_HOW_MANY = re.compile(
    rf"^how many\s+([^\d\s].*?)\s+(?:are\s+)?(?:there\s+)?(?:in|per|make|makes|make up)\s+(?:an?|one|({_NUMBER}))\s+"
    rf"([^\d\s].*?)$",
    re.I,
)
# A quantity told, then asked for in another unit: "my room is 4.2 metres long, what is that in feet",
# "The recipe wants the oven at 200 C, what's that in F?".
_THAT_IN = re.compile(
    rf"(?:^|\s)({_NUMBER})\s*([^\W\d_]+|°\s*[cfk])(?:\s+([^\W\d_]+))?\b[^?]*?\bwhat(?:'s| is| would be| are)?\s+"
    rf"(?:that|it|this|those|these)\s+in\s+([^\d?]+?)$",
    re.I,
)
# Amounts said as fractions ("a quarter cup", "three quarters of a cup", "half a mile"), as numbers.
_FRACTION_WORDS = (
    (re.compile(r"\bthree quarters(?: of)?(?: an?)?\b", re.I), "0.75"),
    (re.compile(r"\b(?:a |one )?quarter(?: of)?(?: an?)?\b", re.I), "0.25"),
    (re.compile(r"\b(?:a |one )?third(?: of)?(?: an?)?\b(?! (?:largest|biggest|time))", re.I), "0.333333"),
    (re.compile(r"\bhalf(?: of)? an?\b|\ba half(?: of)?(?: an?)?\b", re.I), "0.5"),
)
# The sentences around an ask that are no part of it: greetings, thanks, a sign-off ("Thank you kindly, Dorothy.").
_COURTESY = re.compile(
    r"^\W*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening|day)|dear \w+|thanks?|thank you|many thanks|cheers|"
    r"regards|kind regards|best wishes|best|sincerely|yours)\b[^?]*$",
    re.I,
)
_WORD_OPERATORS = (
    (re.compile(r"\b(?:square root|sqrt) of\s*(\d[\d.,]*)", re.I), r"\1 ** 0.5"),
    (re.compile(r"\bcube root (?:of|from)\s*(\d[\d.,]*)", re.I), r"\1 ** (1/3)"),
    (re.compile(r"(\d)\s+squared\b", re.I), r"\1 ** 2"),
    (re.compile(r"(\d)\s+cubed\b", re.I), r"\1 ** 3"),
    (re.compile(r"\bnegative\s+(?=\d)", re.I), "-"),
    (re.compile(r"\b(?:times|multiplied by)\b", re.I), "*"),
    (re.compile(r"\bdivided by\b", re.I), "/"),
    (re.compile(r"\bplus\b", re.I), "+"),
    (re.compile(r"\bminus\b", re.I), "-"),
    (re.compile(r"\bto the power of\b", re.I), "**"),
    (re.compile("(?<=[\\d)\\s])[x\u00d7](?=[\\d(\\s])"), "*"),
    (re.compile(r"÷"), "/"),
    (re.compile(r"\^"), "**"),
)
# "minus 5 degrees" is an amount; "10 minus 3" a subtraction (`_WORD_OPERATORS`).
_NEGATIVE = re.compile(r"(?<![\d)]\s)\bminus\s+(?=\d)", re.I)
_ARITHMETIC = re.compile(r"^[\d\s.,+\-*/()]+$")
_OPERATOR = re.compile(r"\d\s*(?:\*\*|[+\-*/])\s*[-(]*\s*[\d.]")
# Bounds that keep pint's evaluation instant: "9**9**9" would compute for ever.
MAX_ASK_CHARS = 200
MAX_EXPRESSION_CHARS = 80
MAX_EXPONENT = 100
MAX_MAGNITUDE = 1e15
# Temperature names pint does not read as such ("C" is a coulomb and "F" a farad to it).
_TEMPERATURES = {
    "c": "degC", "°c": "degC", "celsius": "degC", "centigrade": "degC",
    "f": "degF", "°f": "degF", "fahrenheit": "degF",
    "k": "kelvin", "kelvin": "kelvin", "kelvins": "kelvin",
}  # fmt: skip
_DEGREES = re.compile(r"^(?:degrees?|deg)\s+|^°\s*", re.I)
_SYMBOLS = {"degC": "°C", "degF": "°F", "kelvin": "K"}
_FLUID = re.compile(r"\b(?:fl\.?|fluid)\s*(?:oz|ounces?)\b", re.I)
_LIGHT_YEAR = re.compile(r"\blight[- ]?years?\b", re.I)
# Pint's everyday names: its gallon, pint and cup are the US ones; "UK" and "imperial" name the others.
_UNIT_WORDS = (
    (re.compile(r"\b(?:uk|imperial)\s+(?=(?:gallon|pint|quart|fluid_ounce|fl))", re.I), "imperial_"),
    (re.compile(r"\bus\s+(?=(?:gallon|pint|quart|cup|tablespoon|teaspoon|fluid_ounce|fl))", re.I), ""),
    (re.compile(r"\bmetric\s+(?:ton|tonne)s?\b", re.I), "tonne"),
    (re.compile(r"\bkilos\b|\bkilo\b", re.I), "kilogram"),
)
_POWER = re.compile(r"\b(square|sq|cubic|cu)\s+([a-z]+)", re.I)


@dataclass(frozen=True)
class Calculation:
    """What was asked and its exact result, said as one sentence: "15% of 240 is 36.", "2^10 = 1,024."."""

    sentence: str


async def calculation_in(text: str) -> Calculation | None:
    """`calculate`, off the event loop when it may reach Pint (its first import takes ~0.2 s); a message longer than
    an ask or with no number, in digits or words, and no "how many" is answered None at once."""
    if len(text) > MAX_ASK_CHARS or not _MAY_CALCULATE.search(text):
        return None
    return await asyncio.to_thread(calculate, text)


def calculate(text: str) -> Calculation | None:
    """The calculation the message asks for, computed; None when the message is not one (or pint cannot read its
    units, or the units measure different things). The whole message is the ask, or its one sentence that is not a
    greeting, thanks or sign-off ("Good morning. Could you please tell me how many tablespoons are in a quarter cup?
    Thank you kindly, Dorothy.")."""
    if len(text) > MAX_ASK_CHARS or "\n" in text.strip():
        return None
    asks = [sentence for sentence in split_sentences(text) if not _COURTESY.match(sentence)]
    try:
        return _calculate_ask(asks[0] if len(asks) == 1 else text)
    except (ArithmeticError, ValueError):
        return None  # a zero denominator ("1/0% of 240"), or a result out of `_format`'s range


def _calculate_ask(text: str) -> Calculation | None:
    ask = _TAIL.sub("", _LEAD.sub("", _digits(text).strip(), count=1))
    ask = re.sub(r"[^\w).%°]+$", "", ask)  # a closing emoji or symbol ("eleven times eleven 😅")
    ask = re.sub(r"^one\b", "1", ask, flags=re.I)  # "one square mile in ...": the word text2num leaves alone
    if not ask:
        return None
    if match := _PERCENT_OF.match(ask):
        share, whole = _number(match[1]), _number(match[2])
        return Calculation(f"{_format(share)}% of {_format(whole)} is {_format(share * whole / 100)}.")
    if match := _PERCENT_OFF.match(ask):
        share, whole = _number(match[1]), _number(match[2])
        return Calculation(f"{_format(whole)} less {_format(share)}% is {_format(whole * (1 - share / 100))}.")
    if match := _WHAT_PERCENT.match(ask):
        part, whole = _number(match[1] or match[2]), _number(match[3])
        return Calculation(f"{_format(part)} is {_format(100 * part / whole)}% of {_format(whole)}.") if whole else None
    if match := _CHANGE_BY.match(ask):
        sign = 1 if match[1].lower() == "increase" else -1
        base, share = _number(match[2]), _number(match[3])
        verb = "increased" if sign > 0 else "decreased"
        return Calculation(
            f"{_format(base)} {verb} by {_format(share)}% is {_format(base * (1 + sign * share / 100))}."
        )
    if match := _HOW_MANY.match(ask):
        return _convert(_number(match[2]) if match[2] else 1.0, match[3], match[1])
    if not any(ch.isdigit() for ch in ask):
        return None
    if match := _CONVERT.match(ask):
        return _convert(_number(match[1]), match[2], match[3])
    if (match := _THAT_IN.search(ask)) and len(re.findall(_NUMBER, ask)) == 1:
        # One quantity told: "7 lb 8 oz, what's that in kg" is two, and neither alone is the answer.
        amount, target = _number(match[1]), match[4]
        # The unit told is one word or two ("4.2 metres long": "metres"; "3 nautical miles": both).
        told = [f"{match[2]} {match[3]}", match[2]] if match[3] else [match[2]]
        return next((c for unit in told if (c := _convert(amount, unit, target)) is not None), None)
    return _arithmetic(ask)


def _arithmetic(ask: str) -> Calculation | None:
    expression = ask
    for pattern, symbol in _WORD_OPERATORS:
        expression = pattern.sub(symbol, expression)
    expression = " ".join(expression.split())
    if (
        len(expression) > MAX_EXPRESSION_CHARS
        or not _ARITHMETIC.match(expression)
        or not _OPERATOR.search(expression)
        or re.search(r"\d,\d{1,2}(?!\d)", expression)  # "1,5": a decimal comma or a list, not a thousands separator
    ):
        return None
    expression = expression.replace(",", "")
    exponents = [float(e) for e in re.findall(r"\*\*\s*\(?\s*(-?[\d.]+)", expression)]
    if expression.count("**") > 1 or any(abs(e) > MAX_EXPONENT for e in exponents):
        return None
    try:
        value = _registry().parse_expression(expression)
    except (ZeroDivisionError, SyntaxError, ValueError, TypeError, AttributeError, IndexError):
        return None
    magnitude = getattr(value, "magnitude", value)
    if not isinstance(magnitude, int | float) or not math.isfinite(magnitude) or abs(magnitude) > MAX_MAGNITUDE:
        return None
    shown = expression.replace("**", "^").replace("*", "\u00d7").replace("/", "\u00f7")
    return Calculation(f"{shown} = {_format(float(magnitude))}.")


def _convert(amount: float, source: str, target: str) -> Calculation | None:
    """`amount` of `source` in `target`, said in the asker's own unit words (a temperature by its symbol)."""
    source, target = source.strip(), target.strip()
    units = _units(source, target)
    if units is None or abs(amount) > MAX_MAGNITUDE:
        return None
    pint = _pint()
    try:
        converted = _registry().Quantity(amount, units[0]).to(units[1])
    except (pint.errors.PintError, AttributeError, TypeError, ValueError, AssertionError):
        return None
    magnitude = float(converted.magnitude)
    if not math.isfinite(magnitude):
        return None
    said = [_SYMBOLS.get(unit, word) for unit, word in zip(units, (source, target), strict=True)]
    return Calculation(f"{_format(amount)} {said[0]} = {_format(magnitude)} {said[1]}.")


def _units(source: str, target: str) -> tuple[str, str] | None:
    """Both unit names as pint reads them; a bare C, F or K is a temperature only beside another temperature."""
    names = [_DEGREES.sub("", name.lower()) for name in (source, target)]
    temperatures = [_TEMPERATURES.get(name) for name in names]
    if any(temperatures):
        return (str(temperatures[0]), str(temperatures[1])) if all(temperatures) else None
    pint = _pint()
    try:
        parsed = [_registry().parse_units(_pint_words(name)) for name in (source, target)]
    except (pint.errors.PintError, AttributeError, TypeError, ValueError, AssertionError, SyntaxError):
        return None
    return str(parsed[0]), str(parsed[1])


def _pint_words(name: str) -> str:
    """Everyday unit words in pint's spelling: "square feet" is `foot ** 2`, "fl oz" a `fluid_ounce`, "light years"
    `light_year`."""
    name = _LIGHT_YEAR.sub("light_year", _FLUID.sub("fluid_ounce", name))
    for pattern, spelling in _UNIT_WORDS:
        name = pattern.sub(spelling, name)
    name = _POWER.sub(lambda m: f"{m[2]} ** {2 if m[1].lower() in ('square', 'sq') else 3}", name)
    return name


def _number(text: str) -> float:
    """ "1,250" or "2/3" as a number (a zero denominator raises ZeroDivisionError)."""
    if "/" in text:
        numerator, denominator = text.split("/")
        return float(numerator) / float(denominator)
    return float(text.replace(",", ""))


def _digits(text: str) -> str:
    """Numbers written in words as digits ("sixty five fahrenheit" -> "65 fahrenheit"; text2num, a maintained
    parser), and "minus 5" as -5 where it starts an amount."""
    for pattern, number in _FRACTION_WORDS:
        text = pattern.sub(number, text)
    return _NEGATIVE.sub("-", alpha2digit(text, "en"))


def _format(value: float) -> str:
    """A result as people write it: an integer without ".0", else six significant digits, thousands separated.
    Every number said goes through here, so a value that is not finite or beyond `MAX_MAGNITUDE` raises ValueError
    (`calculate` then answers None)."""
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise ValueError(f"{value} is out of range")
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.6g}" if abs(value) >= 1e-4 else f"{value:.6g}"


@cache
def _pint() -> Any:
    """The pint module, imported on the first calculation (the module docstring says why)."""
    import pint

    return pint


@cache
def _registry() -> Any:
    """One unit registry per process, built on first use."""
    return _pint().UnitRegistry(autoconvert_offset_to_baseunit=True)
