"""The alert rules: valid for Prometheus (promtool check rules) and unit-tested (promtool test rules).

promtool comes with Debian's `prometheus` package (`make test` installs it, like redis-server).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.observability.monitoring import ALERT_TESTS, ALERTS

PROMTOOL = shutil.which("promtool") or "promtool"
needs_promtool = pytest.mark.skipif(
    shutil.which("promtool") is None, reason="promtool missing: `make system-deps` installs it"
)

# The design's alerts (../shared/DESIGN.md) and the issue's: every one must exist and be unit-tested.
REQUIRED = {
    "PersonaMeshLatencyP50High": "warning",
    "PersonaMeshLatencyP99Critical": "critical",
    "PersonaMeshReplicaErrorRateWarning": "warning",
    "PersonaMeshReplicaErrorRateCritical": "critical",
    "PersonaMeshSuccessRateWarning": "warning",
    "PersonaMeshSuccessRateCritical": "critical",
    "PersonaMeshConsecutiveFailures": "critical",
    "PersonaMeshBreakerOpen": "warning",
    "PersonaMeshPersonaNoHealthyReplica": "critical",
    "PersonaMeshRoutingAnomaly": "warning",
}


def _alerts() -> dict[str, dict]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"] if "alert" in rule}


def test_every_required_alert_exists_with_its_severity() -> None:
    alerts = _alerts()
    assert {name: rule["labels"]["severity"] for name, rule in alerts.items()} == REQUIRED


def test_design_thresholds_are_the_ones_in_the_rules() -> None:
    text = ALERTS.read_text()
    for threshold in ("p50_5m > 1", "p99_5m > 5", "> 0.05", "> 0.10", "< 0.95", "< 0.90", ">= 5"):
        assert threshold in text, threshold


def test_every_alert_has_a_firing_unit_test() -> None:
    tests = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    fired = {case["alertname"] for test in tests for case in test.get("alert_rule_test", []) if case.get("exp_alerts")}
    silent = {
        case["alertname"] for test in tests for case in test.get("alert_rule_test", []) if not case.get("exp_alerts")
    }
    assert set(REQUIRED) <= fired, f"no firing case for {set(REQUIRED) - fired}"
    # Warnings' silence is shown where the critical fires and vice versa; each alert has a silent case
    # or shares its series with one that does.
    assert len(silent) >= 6


@needs_promtool
def test_promtool_check_rules() -> None:
    result = subprocess.run([PROMTOOL, "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@needs_promtool
def test_promtool_test_rules() -> None:
    result = subprocess.run(
        [PROMTOOL, "test", "rules", ALERT_TESTS.name],
        capture_output=True,
        text=True,
        cwd=ALERT_TESTS.parent,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


@needs_promtool
def test_promtool_test_rules_fails_when_a_threshold_moves(tmp_path: Path) -> None:
    """The unit tests bite: the p50 threshold raised to 2 s makes them fail."""
    rules = tmp_path / "helm" / "persona-mesh" / "files" / "monitoring"
    rules.mkdir(parents=True)
    (rules / "alerts.yaml").write_text(ALERTS.read_text().replace("p50_5m > 1", "p50_5m > 2"))
    tests_dir = tmp_path / "tests" / "observability"
    tests_dir.mkdir(parents=True)
    (tests_dir / ALERT_TESTS.name).write_text(ALERT_TESTS.read_text())
    result = subprocess.run(
        [PROMTOOL, "test", "rules", ALERT_TESTS.name], capture_output=True, text=True, cwd=tests_dir, check=False
    )
    assert result.returncode != 0
    assert "PersonaMeshLatencyP50High" in result.stdout + result.stderr
