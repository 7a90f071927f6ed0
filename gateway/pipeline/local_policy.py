"""The gateway's own, deliberately conservative policy check for when Abi is unreachable.

Never an unmoderated pass-through: messages that plainly ask for serious harm
are blocked, PII is redacted, and everything answered this way is marked
degraded. Abi's real moderation (classifiers, rules) is far better; this only
has to be safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from personamesh.v1 import persona_pb2
from services.common import pii

_SEVERE = {
    "crisis": re.compile(r"\b(kill|hurt|harm)\s+my\s*self\b|\bsuicid|\bend\s+my\s+life\b", re.IGNORECASE),
    "violent_threat": re.compile(r"\b(i\s+will|i'm\s+going\s+to|gonna)\s+(kill|shoot|stab|murder)\b", re.IGNORECASE),
    "weapons": re.compile(r"\b(make|build|assemble)\s+(a\s+)?(bomb|explosive|nerve\s+agent|bioweapon)", re.IGNORECASE),
    "prompt_injection": re.compile(r"\bignore\s+(all\s+)?(previous|prior|above)\s+instructions\b", re.IGNORECASE),
}
_SUPPORT = {"crisis"}


@dataclass(frozen=True)
class LocalVerdict:
    moderation: persona_pb2.ModerationResult
    blocked: bool


def redact(text: str) -> tuple[str, list[str]]:
    """Replace PII (identifiers made from it included) with placeholders; return the text and the categories.

    The patterns are the mesh's one set (`services/common/pii.py`), the same Abi uses.
    """
    findings = pii.find_pii(text)
    categories = sorted({f"pii.{finding.kind}" for finding in findings})
    return pii.redact(text, findings), categories


def check(text: str) -> LocalVerdict:
    """Block plain requests for serious harm; redact PII; everything else passes with a note."""
    redacted, pii = redact(text)
    harms = [name for name, pattern in _SEVERE.items() if pattern.search(text)]
    if harms:
        action = (
            persona_pb2.POLICY_ACTION_REDIRECT_TO_SUPPORT if set(harms) & _SUPPORT else persona_pb2.POLICY_ACTION_BLOCK
        )
        severity = persona_pb2.SEVERITY_HIGH
    elif pii:
        action, severity = persona_pb2.POLICY_ACTION_WARN, persona_pb2.SEVERITY_LOW
    else:
        action, severity = persona_pb2.POLICY_ACTION_ALLOW, persona_pb2.SEVERITY_NONE
    moderation = persona_pb2.ModerationResult(
        action=action,
        severity=severity,
        categories=[*harms, *pii],
        redacted_text=redacted,
        reasons=["local fallback policy (Abi unreachable)"],
    )
    return LocalVerdict(moderation, blocked=bool(set(harms) - _SUPPORT))
