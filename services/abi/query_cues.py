"""Lexical cues for the query types no public data labels (debugging, documentation, comparison,
optimization). They say what each type means; the trained head decides everything else.
"""

from __future__ import annotations

import re

IC = re.IGNORECASE

CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "debugging",
        re.compile(
            r"(traceback \(most recent call last\)|\b\w+(error|exception)\b:|segmentation fault|core dumped|"
            r"\bexit(ed)? (with )?code \d+|\bnpm err!|\bstack ?trace\b|\b(it|this|code|script|app|program|build|"
            r"test|tests|query|function|loop|my \w+) (doesn'?t|does not|won'?t|isn'?t) (work|compile|run|build|start)|"
            r"\bfails? (with|in|on)\b|\bwhy (does|is|do) my\b.*\b(fail|crash|error|"
            r"return|hang|loop)|\bbug in\b|\bdeadlocks?\b|\bcan'?t (connect|import|find module))",
            IC,
        ),
    ),
    (
        "optimization",
        re.compile(
            r"\b(optimi[sz]e|speed up|faster|make .{0,40} (fast|quicker|efficient)|reduce (the )?(memory|latency|"
            r"size|cold start|cpu|load time)|performance of|improve (the )?(throughput|performance|latency)|"
            r"more efficient|too slow|is slow|sluggish|tune .{0,30} for)\b",
            IC,
        ),
    ),
    (
        "comparison",
        re.compile(
            r"(\bvs\.?\b|\bversus\b|\bdifference(s)? between\b|\bcompare\b|\bcompared (to|with)\b|\bpros and cons\b|"
            r"\bwhich is (better|faster|best)\b|\bor .{1,30}\? *(which|what) (one|should)|\bshould i use \w+ or\b)",
            IC,
        ),
    ),
    (
        "documentation",
        re.compile(
            r"\b(docs|documentation|api reference|reference docs|man page|signature of|according to (the|its) docs|"
            r"(what|which) (parameters|arguments|options|flags|fields) does|default (value|timeout) of)\b",
            IC,
        ),
    ),
)


def cue_query_type(text: str) -> str | None:
    """The first query type whose cue matches the start of `text` (2,000 characters), if any."""
    head = text[:2000]
    for name, pattern in CUES:
        if pattern.search(head):
            return name
    return None
