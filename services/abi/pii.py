"""PII and secret detection with redaction, for Abi's policy check.

The patterns live in `services/common/pii.py`, the one source of truth the
gateway's fallback policy, the personas and the embedding index share; this
module keeps Abi's import path and names.
"""

from __future__ import annotations

from services.common.pii import (
    CARD,
    EMAIL,
    IBAN,
    IPV4,
    IPV6,
    PHONE,
    PLACEHOLDERS,
    SECRETS,
    SSN,
    PiiFinding,
    find_pii,
    iban_valid,
    luhn_valid,
    redact,
    redact_text,
    scrub,
)

__all__ = [
    "CARD",
    "EMAIL",
    "IBAN",
    "IPV4",
    "IPV6",
    "PHONE",
    "PLACEHOLDERS",
    "SECRETS",
    "SSN",
    "PiiFinding",
    "find_pii",
    "iban_valid",
    "luhn_valid",
    "redact",
    "redact_text",
    "scrub",
]
