"""Where the monitoring files live, and the metric names they read."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "helm" / "persona-mesh" / "files" / "monitoring"
ALERTS = MONITORING / "alerts.yaml"
DASHBOARD = MONITORING / "dashboard.json"
ALERT_TESTS = Path(__file__).resolve().parent / "alerts_test.yaml"
AUDIT_SCHEMA = REPO / "docs" / "audit-event.schema.json"

# A raw name, not part of a recording rule's level:name:operations.
_NAME = re.compile(r"(?<![:\w])(pm_[a-z0-9_]+|grpc_[a-z0-9_]+)(?![:\w])")
# Suffixes Prometheus adds to a histogram's series; the metric family is the name without them.
_HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def rule_exprs() -> list[str]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def dashboard_exprs() -> list[str]:
    exprs: list[str] = []
    for panel in dashboard()["panels"]:
        exprs.extend(target["expr"] for target in panel.get("targets", []))
    return exprs


def metric_names(exprs: list[str]) -> set[str]:
    """Raw metric names used by PromQL expressions (recording rule names like persona:x:y are not raw)."""
    names: set[str] = set()
    for expr in exprs:
        names.update(_NAME.findall(expr))
    return names


def family(name: str) -> str:
    for suffix in _HISTOGRAM_SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name
