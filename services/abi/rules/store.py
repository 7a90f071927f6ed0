"""The active rule set: loaded from a YAML file, swapped atomically, hot-reloaded when the file changes.

An invalid document never replaces the active set: the old rules stay and the
problems are logged (file reload) or returned (ValidateRules / ReplaceRules).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.abi.policy import CategoryPolicy, PolicyConfig
from services.abi.rules.engine import RuleEngine, compile_rule
from services.abi.rules.schema import RuleProblem, validate_document
from services.common.registry import persona_registry

log = logging.getLogger(__name__)

DEFAULT_RULES_PATH = Path(__file__).resolve().parent.parent / "default_rules.yaml"


@dataclass(frozen=True)
class RuleSet:
    """One validated, compiled rules document."""

    text: str
    version: str
    engine: RuleEngine
    policy: PolicyConfig
    default_persona: str
    hysteresis: float

    @property
    def rule_count(self) -> int:
        return len(self.engine.rules)


class RulesInvalidError(Exception):
    def __init__(self, problems: list[RuleProblem]) -> None:
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))
        self.problems = problems


class VersionConflictError(Exception):
    pass


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def build_rule_set(text: str, base_policy: PolicyConfig) -> RuleSet:
    """Validate and compile; raises RulesInvalidError with located problems."""
    document, problems = validate_document(text)
    if document is None:
        raise RulesInvalidError(problems)
    return _compile(text, document, base_policy)


def _compile(text: str, document: dict[str, Any], base: PolicyConfig) -> RuleSet:
    rules = [compile_rule(spec) for spec in document.get("rules") or [] if spec.get("enabled", True)]
    policies = document.get("policies") or {}
    categories = dict(base.categories)
    for name, spec in policies.items():
        if isinstance(spec, dict):
            old = categories[name]
            categories[name] = CategoryPolicy(spec.get("action", old.action), spec.get("severity", old.severity))
    pii = policies.get("pii") or {}
    policy = PolicyConfig(
        categories,
        block_threshold=float(policies.get("block_threshold", base.block_threshold)),
        review_threshold=float(policies.get("review_threshold", base.review_threshold)),
        crisis_threshold=float(policies.get("crisis_threshold", base.crisis_threshold)),
        redact_pii=bool(pii.get("redact", base.redact_pii)),
        conversation_crisis_threshold=float(
            policies.get("conversation_crisis_threshold", base.conversation_crisis_threshold)
        ),
        conversation_harm_threshold=(
            float(policies["conversation_harm_threshold"])
            if "conversation_harm_threshold" in policies
            else base.conversation_harm_threshold
        ),
    )
    defaults = document.get("defaults") or {}
    return RuleSet(
        text=text,
        version=version_of(text),
        engine=RuleEngine(rules),
        policy=policy,
        default_persona=defaults.get("persona", persona_registry().default),
        hysteresis=float(defaults.get("hysteresis", 0.15)),
    )


class RuleStore:
    """Holds the active RuleSet; `replace` and the file watcher swap it in one assignment."""

    def __init__(self, path: Path, base_policy: PolicyConfig, *, persist: bool = True) -> None:
        self.path = path
        # When False (the shipped default file), ReplaceRules changes the active rules in memory only.
        self.persist = persist
        self.base_policy = base_policy
        self.active = build_rule_set(path.read_text(encoding="utf-8"), base_policy)
        self._seen = self._stat()
        self._rejected_version = ""
        self._lock = asyncio.Lock()

    def _stat(self) -> tuple[int, int]:
        try:
            stat = self.path.stat()
        except OSError:
            return (0, 0)
        return (stat.st_mtime_ns, stat.st_size)

    def validate(self, text: str) -> tuple[RuleSet | None, list[RuleProblem]]:
        try:
            return build_rule_set(text, self.base_policy), []
        except RulesInvalidError as error:
            return None, error.problems

    async def replace(self, text: str, expected_version: str = "") -> RuleSet:
        """Validate, persist to the watched file (atomically), then activate."""
        async with self._lock:
            if expected_version and expected_version != self.active.version:
                raise VersionConflictError(f"active rules are version {self.active.version}, not {expected_version}")
            rule_set = build_rule_set(text, self.base_policy)
            if self.persist:
                await asyncio.to_thread(self._write, text)
            self.active = rule_set
            self._seen = self._stat()
            log.info("rules replaced", extra={"version": rule_set.version, "rules": rule_set.rule_count})
            return rule_set

    def _write(self, text: str) -> None:
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=self.path.parent, delete=False, prefix=".rules-", suffix=".yaml"
        ) as handle:
            handle.write(text)
            temp = handle.name
        os.replace(temp, self.path)

    def reload_if_changed(self) -> bool:
        """Re-read the file when it changed; True when a new rule set became active."""
        stat = self._stat()
        if stat == self._seen:
            return False
        self._seen = stat
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as error:
            log.error("cannot read rules file; keeping the active rules", extra={"error": str(error)})
            return False
        version = version_of(text)
        if version in (self.active.version, self._rejected_version):
            return False
        try:
            rule_set = build_rule_set(text, self.base_policy)
        except RulesInvalidError as error:
            self._rejected_version = version
            log.error(
                "rules file is invalid; keeping the active rules",
                extra={
                    "problems": [f"{p.path} (line {p.line}): {p.message}" for p in error.problems],
                    "active_version": self.active.version,
                },
            )
            return False
        self.active = rule_set
        log.info("rules reloaded from file", extra={"version": version, "rules": rule_set.rule_count})
        return True

    async def watch(self, interval: float) -> None:
        """Poll the file every `interval` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            try:
                self.reload_if_changed()
            except Exception:
                log.exception("rules reload failed; keeping the active rules")
