"""docs/deployment.md documents every value the chart takes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from tests.helm.tools import CHART, REPO

# Values documented as whole objects rather than key by key.
WHOLE_OBJECTS = {"podSecurityContext", "containerSecurityContext", "resources", "startup", "readiness", "liveness"}
COMPONENT_KEYS = {
    "module",
    "resources",
    "env",
    "podDisruptionBudget",
    "nodeSelector",
    "tolerations",
    "affinity",
    "topologySpreadConstraints",
    "probes",
}


def leaf_paths(values: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value and key not in WHOLE_OBJECTS:
            yield from leaf_paths(value, path)
        else:
            yield path


def documented_form(path: str) -> str:
    """'personas.abbey.port' -> 'personas.<name>.port'; 'abi.nodeSelector' -> '<component>.nodeSelector'."""
    path = re.sub(r"^personas\.[a-z0-9]+\.", "personas.<name>.", path)
    for component in ("embeddings.", "abi.", "personas.<name>.", "gateway."):
        rest = path.removeprefix(component)
        key = rest.split(".")[0]
        if rest != path and key in COMPONENT_KEYS:
            # A component's probe overrides are documented as one object.
            return "<component>." + (key if key == "probes" else rest)
    return path


def test_every_value_is_in_the_reference_table() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    docs = (REPO / "docs" / "deployment.md").read_text()
    table_keys = set(re.findall(r"^\| `([^`]+)` \|", docs, flags=re.MULTILINE))
    missing = sorted({documented_form(p) for p in leaf_paths(values)} - table_keys)
    assert not missing, f"undocumented values: {missing}"


def _lookup(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for part in path.split("."):
        node = node[part]
    return node


def _as_written(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value == "":
        return '""'
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, dict) and not value:
        return "{}"
    return str(value)


def test_documented_defaults_match_values_yaml() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    docs = (REPO / "docs" / "deployment.md").read_text()
    checked = 0
    for key, default in re.findall(r"^\| `([^`<]+)` \| `([^`]*)` \|", docs, flags=re.MULTILINE):
        try:
            actual = _lookup(values, key)
        except (KeyError, TypeError):
            continue
        assert _as_written(actual) == default, f"{key}: docs say {default}, values.yaml has {actual!r}"
        checked += 1
    assert checked > 50
