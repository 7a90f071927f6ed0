"""PII and secret detection with redaction: the one source of truth for the mesh's PII patterns.

Email, phone, credit card (Luhn), SSN, IBAN (mod 97), IP address, API keys and
other secrets. Checksums keep false positives down: a 16-digit order number that
fails Luhn is not a card, an IBAN-shaped string that fails mod 97 is not an IBAN.

Identifiers made from PII count too: `jane_doe_at_example_com`,
`sendToJaneDoeExampleCom` or `call_555_123_4567` are found by normalising
snake_case, kebab-case and camelCase tokens into words and digit groups before
the search (`find_pii`). When the text that produced an answer is known,
`scrub` also removes any trace of that text's PII from the answer: the words of
an email's local part (`jane`, `doe`) or a number's digits, however they were
joined or split.

Abi's moderation (services/abi/pii.py re-exports this module), the gateway's
local fallback policy, the personas and the embedding index all use these
functions, so a pattern fixed here is fixed everywhere.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Iterable
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

# `_` is legal in an email's local part (first_last@example.com); the lookbehind replaces `\b`,
# which never holds between `_` and a letter.
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
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

# -- identifiers ------------------------------------------------------------------------------------

# snake_case / SCREAMING_SNAKE, kebab-case with three or more parts, camelCase and PascalCase.
IDENTIFIER = re.compile(
    r"(?<![\w$])[A-Za-z0-9]+(?:_+[A-Za-z0-9]+)+(?![\w$])"
    r"|(?<![\w-])[a-z0-9]+(?:-[a-z0-9]+){2,}(?![\w-])"
    r"|\b[a-z]+[0-9]*(?:[A-Z][a-z0-9]*)+\b"
    r"|\b(?:[A-Z][a-z0-9]+){2,}\b"
    r"|\b[A-Za-z]+\d{7,}\b"
)
# Maximal runs an identifier lies within (IDENTIFIER's boundaries hold at their ends).
_WORDISH = re.compile(r"[\w$-]+")
# The words and digit groups of an identifier: jane|Doe|At|example|Com, HTTP|Server, 555|123|4567.
PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
# Top-level domains that end an email-shaped identifier even without an "at" in it ("net", "info" and
# "biz" end too many ordinary names: neural_net, get_user_info, show_biz).
_STRICT_TLDS = frozenset({"com", "org", "edu", "gov"})
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu"})
_COUNTRY = frozenset({"uk", "au", "nz", "jp", "in", "br", "za", "il", "kr", "sg", "hk", "mx", "ar", "tr", "cn", "tw"})
# After an "at": these too (English words such as "it", "in", "me", "us", "to" are left out).
_AT_TLDS = _STRICT_TLDS | frozenset(
    {"net", "io", "co", "uk", "de", "fr", "es", "nl", "ca", "au", "ai", "dev", "app", "ch", "se", "dk", "fi"}
    | {"pl", "jp", "br", "ru", "cn", "eu", "tv", "xyz", "email", "mail"}
)
_PHONE_WORDS = frozenset(
    {"phone", "tel", "telephone", "call", "mobile", "cell", "sms", "whatsapp", "fax", "contact", "number"}
)
_SSN_WORDS = frozenset({"ssn", "social"})
_CARD_WORDS = frozenset({"card", "cc", "visa", "mastercard", "amex", "credit", "pan"})
_IP_WORDS = frozenset({"ip", "ipv4", "host", "server", "addr"})


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


def _ends_with_domain(parts: list[str], tlds: frozenset[str]) -> int:
    """How many trailing parts form a top-level domain (`com`, `co_uk`), 0 when they do not."""
    if len(parts) >= 2 and parts[-2] in _SECOND_LEVEL and parts[-1] in _COUNTRY:
        return 2
    return 1 if parts and parts[-1] in tlds else 0


def _email_shaped(parts: list[str]) -> bool:
    """jane_doe_at_example_com, jane_dot_doe_at_example_dot_com, send_to_jane_doe_example_com."""
    words = [p for p in parts if p != "dot"]
    if "at" in words[1:]:
        at = len(words) - 1 - words[::-1].index("at")
        domain = words[at + 1 :]
        tld = _ends_with_domain(domain, _AT_TLDS)
        if tld and len(domain) > tld and domain[0].isalnum():
            return True
    tld = _ends_with_domain(words, _STRICT_TLDS)
    # A local part and a domain label before the TLD; "org" also ends names like get_current_org.
    needed = 3 if tld == 1 and words[-1] == "org" else 2
    return bool(tld) and len(words) - tld >= needed and not words[-tld - 1].isdigit()


def _identifier_kind(token: str) -> str:
    """The kind of PII an identifier was made from, or "" when it looks like an ordinary name."""
    parts = [p.lower() for p in PART.findall(token)]
    if len(parts) < 2:
        return ""
    if _email_shaped(parts):
        return "email"
    words = {p for p in parts if not p.isdigit()}
    groups = [p for p in parts if p.isdigit()]
    if not groups:
        return ""
    digits = "".join(groups)
    if len(groups) >= 2 and SSN.fullmatch("-".join(groups)):
        return "ssn"
    card_shaped = len(groups) == 4 and all(len(g) == 4 for g in groups)
    if (card_shaped or words & _CARD_WORDS) and 13 <= len(digits) <= 19 and luhn_valid(digits):
        return "credit_card"
    if len(groups) == 4 and words & _IP_WORDS and _ip_valid(".".join(groups)):
        return "ip_address"
    # Digits alone are too often sizes, versions or timestamps (conv_128_256_512): a phone needs its word.
    if words & _PHONE_WORDS and 9 <= len(digits) <= 15:
        return "phone"
    if words & _SSN_WORDS and len(digits) == 9:
        return "ssn"
    return ""


def find_pii(text: str) -> list[PiiFinding]:
    """Every PII or secret span, earliest first, without overlaps (the first detector claiming a span wins).

    Identifiers made from PII (`jane_doe_at_example_com`) are found as a whole.
    """
    found: list[PiiFinding] = []
    starts: list[int] = []  # claimed spans, sorted and disjoint
    ends: list[int] = []

    def claim(kind: str, start: int, end: int) -> None:
        at = bisect.bisect_left(starts, start)
        if (at > 0 and ends[at - 1] > start) or (at < len(starts) and starts[at] < end):
            return
        starts.insert(at, start)
        ends.insert(at, end)
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
    for token in _WORDISH.finditer(text):
        word = token.group()
        if (word.isalpha() and (word.islower() or word.isupper() or word.istitle())) or word.isdigit():
            continue  # plain words and numbers: most of any text, never an identifier (and fast to skip)
        for match in IDENTIFIER.finditer(word):
            kind = _identifier_kind(match.group())
            if kind:
                claim(kind, token.start() + match.start(), token.start() + match.end())
    return sorted(found, key=lambda f: f.start)


def redact(text: str, findings: list[PiiFinding]) -> str:
    """`text` with every finding replaced by its placeholder."""
    out: list[str] = []
    cursor = 0
    for finding in sorted(findings, key=lambda f: f.start):
        if finding.start < cursor:
            continue
        out.append(text[cursor : finding.start])
        out.append(PLACEHOLDERS[finding.kind])
        cursor = finding.end
    out.append(text[cursor:])
    return "".join(out)


def redact_text(text: str) -> str:
    """`text` with all its PII and secrets replaced by placeholders (a no-op on redacted text)."""
    return redact(text, find_pii(text)) if text else text


# -- traces of a known text's PII -------------------------------------------------------------------

# Local parts too generic to be anyone's identity on their own (info@..., support@...).
_GENERIC_LOCAL = frozenset(
    {"info", "admin", "support", "contact", "sales", "hello", "mail", "noreply", "webmaster", "office", "team"}
    | {"help", "service", "billing", "security", "privacy", "abuse", "postmaster", "root", "user", "test"}
)
# A token that may hide PII: words, identifiers, dotted or dashed numbers.
_TOKEN = re.compile(r"[\w.@+$-]+")


@dataclass(frozen=True)
class Signature:
    """What would betray one PII value: an email's local-part words, or a number's digits."""

    kind: str
    words: tuple[str, ...] = ()
    digits: str = ""


def signatures(sources: Iterable[str]) -> list[Signature]:
    """What would betray each PII finding of `sources`: an email's local-part words, a number's digits."""
    signatures: list[Signature] = []
    for source in sources:
        for finding in find_pii(source):
            value = source[finding.start : finding.end]
            if finding.kind == "email" and "@" in value:
                local = value.split("@", 1)[0]
                words = tuple(p.lower() for p in PART.findall(local))
                if len(words) >= 2 or (len(words) == 1 and len(words[0]) >= 4 and words[0] not in _GENERIC_LOCAL):
                    signatures.append(Signature("email", words=words))
            elif finding.kind in {"phone", "ssn", "credit_card", "iban", "ip_address"}:
                digits = re.sub(r"\D", "", value)
                if finding.kind == "phone":
                    digits = digits[-10:]  # the national number, with or without a country code
                if len(digits) >= 7:
                    signatures.append(Signature(finding.kind, digits=digits))
    return signatures


def _traces(text: str, signatures: list[Signature]) -> list[PiiFinding]:
    """Spans of `text` that carry a signature: whole tokens, so `send_to_jane_doe` goes, not just `jane_doe`."""
    if not signatures:
        return []
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    token_starts = [start for start, _ in tokens]
    found: list[PiiFinding] = []

    def widen(start: int, end: int) -> tuple[int, int]:
        """Grow a span to the whole tokens it touches."""
        first = bisect.bisect_right(token_starts, start) - 1
        if first >= 0 and tokens[first][0] <= start < tokens[first][1]:
            start = tokens[first][0]
        last = bisect.bisect_right(token_starts, end - 1) - 1
        if last >= 0 and tokens[last][0] < end <= tokens[last][1]:
            end = tokens[last][1]
        return start, end

    parts = [(m.group().lower(), m.start(), m.end()) for m in PART.finditer(text)]
    for signature in signatures:
        if signature.words:
            size = len(signature.words)
            for i in range(len(parts) - size + 1):
                if tuple(p[0] for p in parts[i : i + size]) == signature.words:
                    found.append(PiiFinding(signature.kind, *widen(parts[i][1], parts[i + size - 1][2])))
            compact = "".join(signature.words)
            if len(compact) >= 6:  # janedoe, JaneDoe, jane.doe, send_to_janedoe
                for start, end in tokens:
                    if compact in re.sub(r"[^a-z0-9]", "", text[start:end].lower()):
                        found.append(PiiFinding(signature.kind, start, end))
        else:
            for start, end in tokens:
                if signature.digits in re.sub(r"\D", "", text[start:end]):
                    found.append(PiiFinding(signature.kind, start, end))
    return found


def _merge(findings: list[PiiFinding]) -> list[PiiFinding]:
    merged: list[PiiFinding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = PiiFinding(last.kind, last.start, max(last.end, finding.end))
        else:
            merged.append(finding)
    return merged


def scrub(text: str, sources: Iterable[str] = (), *, known: list[Signature] | None = None) -> str:
    """`text` without PII, and without any trace of the PII found in `sources` (the input it answers).

    `known` is `signatures(sources)` computed once, for callers that scrub many pieces of one answer.
    """
    if not text:
        return text
    findings = find_pii(text) + _traces(text, signatures(sources) if known is None else known)
    return redact(text, _merge(findings)) if findings else text
