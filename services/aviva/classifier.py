"""What kind of question this is: Abi's query type when it sent one, a small local rule set otherwise.

The rules were tuned on the `dev` rows of eval/questions.jsonl only (see
tests/personas/test_aviva_classifier.py for the figures on `test`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from personamesh.v1 import persona_pb2

QUERY_TYPES = (
    "code_request",
    "factual_query",
    "explanation",
    "documentation",
    "debugging",
    "comparison",
    "optimization",
    "general",
)

_LANGUAGES = (
    r"python|javascript|typescript|java|golang|rust|c\+\+|c#|ruby|php|bash|shell|sql|pandas|numpy|django|flask|"
    r"regex|json|csv|html|css|react|node|selenium|matplotlib|scipy|sqlalchemy|ipython|beautifulsoup|argparse|"
    r"subprocess|unicode|ascii|utf-8|datetime|numpy|tensor|colorbar|zip|lambda|dataframe|pyplot"
)
_CODE_NOUNS = (
    r"list|lists|dict|dicts|dictionary|dictionaries|string|strings|array|arrays|tuple|tuples|dataframe|column|"
    r"columns|file|files|function|class|method|loop|integer|int|float|variable|regex|query|script|module|"
    r"set|sets|key|keys|values|index|matrix|bytes|unicode|utf-8|datetime|timestamp|element|elements|substring"
)
_CODE_VERBS = (
    r"write|implement|code|convert|sort|parse|read|print|split|join|remove|delete|append|insert|reverse|"
    r"iterate|filter|merge|concatenate|extract|replace|count|check|find|get|create|generate|format|encode|decode|"
    r"load|save|call|return|add|select|group|flatten|map|make|open|strip|trim|compare|match|set"
)

_RULES: list[tuple[str, re.Pattern[str], float]] = [
    (
        "debugging",
        re.compile(
            r"traceback|exception|\berror\b|\bbug\b|doesn'?t work|does not work|not working|\bfails?\b|crash|"
            r"segfault|stack trace|\w+Error\b|debug|unexpected output|why (is|does) my",
            re.I,
        ),
        0.8,
    ),
    (
        "comparison",
        re.compile(r"\bvs\.?\b|\bversus\b|difference between|compare[ds]? (to|with)|better than", re.I),
        0.8,
    ),
    (
        "optimization",
        re.compile(r"optimi[sz]e|faster|speed up|performance|more efficient|efficiently|reduce (memory|time)", re.I),
        0.7,
    ),
    (
        "documentation",
        re.compile(r"\bdocs?\b|documentation|api reference|signature of|parameters of|arguments of|man page", re.I),
        0.7,
    ),
    (
        "code_request",
        re.compile(rf"```|\b(in|with|using) ({_LANGUAGES})\b|\b({_LANGUAGES})\b.*\b({_CODE_VERBS})\b", re.I),
        0.85,
    ),
    (
        "code_request",
        re.compile(rf"^(how (do|can|to) (i |you )?)?({_CODE_VERBS})\b.*\b({_CODE_NOUNS})\b", re.I),
        0.75,
    ),
    ("code_request", re.compile(rf"\b({_LANGUAGES})\b", re.I), 0.7),
    ("code_request", re.compile(rf"\b({_CODE_NOUNS})\b.*\b({_CODE_NOUNS})\b|^({_CODE_VERBS})\b", re.I), 0.6),
    (
        "explanation",
        re.compile(
            r"^(why|how (does|do|did|is|are|can|could|would|should|come|you)|explain|what causes|what makes)\b"
            r"|for what reason|(known|famous) for|claim to fame|purposes? of",
            re.I,
        ),
        0.7,
    ),
    (
        "factual_query",
        re.compile(
            r"^(who|whom|whose|when|where|which|what|how (many|much|far|long|old|big|tall|fast|hot|cold|deep))\b"
            r"|^(name|list) |\b(in |during |at )?(which|what) (year|state|country|city|war|colony)\b|\?$",
            re.I,
        ),
        0.75,
    ),
]


@dataclass(frozen=True)
class QueryClass:
    query_type: str
    confidence: float
    source: str  # "routing" or "local"


def classify_text(text: str, min_confidence: float = 0.5) -> QueryClass:
    """The first rule that matches, in priority order; "general" when none does."""
    stripped = text.strip()
    for query_type, pattern, confidence in _RULES:
        if pattern.search(stripped) and confidence >= min_confidence:
            return QueryClass(query_type, confidence, "local")
    return QueryClass("general", 0.5, "local")


def classify(request: persona_pb2.PersonaRequest, min_confidence: float = 0.5) -> QueryClass:
    """Abi's query type wins when it is one Aviva knows; otherwise the local rules decide."""
    if request.HasField("routing") and request.routing.query_type in QUERY_TYPES:
        return QueryClass(request.routing.query_type, max(0.5, float(request.routing.confidence)), "routing")
    return classify_text(request.content, min_confidence)
