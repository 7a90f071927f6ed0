"""PII and secret detection with redaction: email, phone, credit card (Luhn), SSN, IBAN (mod 97),
IP address, API keys and other secrets.

Checksums keep false positives down: a 16-digit order number that fails Luhn is
not a card, an IBAN-shaped string that fails mod 97 is not an IBAN.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PiiFinding:
    kind: str  # "email", "phone", "credit_card", "ssn", "iban", "ip_address", "secret"
    start: int
    end: int


PLACEHOLDERS = {
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "credit_card": "[CREDIT_CARD]",
    "ssn": "[SSN]",
    "iban": "[IBAN]",
    "ip_address": "[IP_ADDRESS]",
    "secret": "[SECRET]",
}

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
SSN = re.compile(r"\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
PHONE = re.compile(
    r"(?<![\w+])(?<!\d[ .-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}(?![\w]|[ .-]?\d)"
    r"|(?<![\w+])\+\d{10,14}(?!\w)"
)
SECRETS = re.compile(
    r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"
    r"|\bAKIA[0-9A-Z]{16}\b"
    r"|\bgh[pousr]_[A-Za-z0-9]{30,}\b"
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,}"
    r"|\bAIza[0-9A-Za-z_-]{35}\b"
    r"|\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"
    r"|-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]*?(?:-----END (?:[A-Z]+ )?PRIVATE KEY-----|$)"
    r"|(?i:\b(?:api[_-]?key|secret(?:[_-]?key)?|access[_-]?token|auth[_-]?token|password|passwd)\b\s*[:=]\s*)"
    r"[\"']?[^\s\"']{8,}"
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char)
        if i % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def _ip_valid(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def find_pii(text: str) -> list[PiiFinding]:
    """Every PII or secret span, earliest first, without overlaps (the first detector claiming a span wins)."""
    found: list[PiiFinding] = []
    taken: list[tuple[int, int]] = []

    def claim(kind: str, start: int, end: int) -> None:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            return
        taken.append((start, end))
        found.append(PiiFinding(kind, start, end))

    for match in SECRETS.finditer(text):
        claim("secret", match.start(), match.end())
    for match in EMAIL.finditer(text):
        claim("email", match.start(), match.end())
    for match in IBAN.finditer(text):
        if iban_valid(match.group()):
            claim("iban", match.start(), match.end())
    for match in SSN.finditer(text):
        claim("ssn", match.start(), match.end())
    for match in CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            claim("credit_card", match.start(), match.end())
    for pattern in (IPV4, IPV6):
        for match in pattern.finditer(text):
            if _ip_valid(match.group()) and sum(c.isalnum() for c in match.group()) >= 4:
                claim("ip_address", match.start(), match.end())
    for match in PHONE.finditer(text):
        if sum(c.isdigit() for c in match.group()) >= 9:
            claim("phone", match.start(), match.end())
    return sorted(found, key=lambda f: f.start)


def redact(text: str, findings: list[PiiFinding]) -> str:
    """`text` with every finding replaced by its placeholder."""
    out: list[str] = []
    cursor = 0
    for finding in sorted(findings, key=lambda f: f.start):
        out.append(text[cursor : finding.start])
        out.append(PLACEHOLDERS[finding.kind])
        cursor = finding.end
    out.append(text[cursor:])
    return "".join(out)
