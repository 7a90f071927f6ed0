"""The crisis resources table: the emergency number and the crisis lines of each region, chosen by the request's
locale (`crisis_resources.yaml`, documented and replaceable with `PM_CRISIS_RESOURCES_PATH`; check the numbers
before a deployment). Every persona that meets a crisis or an emergency reads it here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from personamesh.v1 import persona_pb2

_DEFAULT_TABLE = Path(__file__).with_name("crisis_resources.yaml")


@dataclass(frozen=True)
class Resources:
    region: str  # "" for the international default
    emergency: str
    lines: tuple[str, ...]

    def sentence(self, third_party: bool) -> str:
        who = "they are" if third_party else "you are"
        return f"If {who} in immediate danger, call {self.emergency} now. {self.lines_sentence()}"

    def lines_sentence(self) -> str:
        """The crisis lines, for an answer that gave the emergency number already."""
        return f"You can also reach someone right away, free and confidential: {'; '.join(self.lines)}."


class ResourceTable:
    """The documented, configurable table of crisis resources (crisis_resources.yaml)."""

    def __init__(self, path: str = "", default_region: str = "") -> None:
        source = Path(path) if path else _DEFAULT_TABLE
        table: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
        self._default = self._entry("", table["default"])
        self._regions = {code.upper(): self._entry(code.upper(), entry) for code, entry in table["regions"].items()}
        self._default_region = default_region.upper()

    @staticmethod
    def _entry(region: str, entry: dict[str, Any]) -> Resources:
        return Resources(region, str(entry["emergency"]), tuple(str(line) for line in entry["lines"]))

    def regions(self) -> list[str]:
        return sorted(self._regions)

    def for_request(self, request: persona_pb2.PersonaRequest) -> Resources:
        region = region_of(dict(request.metadata)) or self._default_region
        return self._regions.get(region, self._default)


_LOCALE_KEYS = ("locale", "country", "region", "country_code", "lang", "language", "accept-language", "accept_language")


def region_of(metadata: dict[str, str]) -> str:
    """'en-GB' / 'en_US' / 'AU' / 'fr-FR,fr;q=0.9' in the request's metadata -> 'GB' / 'US' / 'AU' / 'FR'."""
    lowered = {key.lower(): value for key, value in metadata.items()}
    for key in _LOCALE_KEYS:
        value = lowered.get(key, "").strip()
        if not value:
            continue
        first = re.split(r"[,;\s]", value)[0]
        parts = re.split(r"[-_]", first)
        if len(parts) >= 2 and len(parts[-1]) == 2 and parts[-1].isalpha():
            return parts[-1].upper()
        if len(first) == 2 and first.isalpha() and key in ("country", "region", "country_code", "locale"):
            return first.upper()
    return ""
