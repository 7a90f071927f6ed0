"""A real mesh after real traffic: every metric the dashboard and the alert rules read is on the gateway's
/metrics; every audit record validates against docs/audit-event.schema.json; no raw email, phone number or
card number sent in a chat appears in any process's log or in the audit file."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RunningMesh, start_mesh
from tests.gateway.support import auth, keys_env
from tests.observability.monitoring import dashboard_exprs, family, metric_names, rule_exprs
from tests.observability.test_audit import validator

EMAIL = "jane.doe@example.com"
PHONE = "+1 415 555 0134"
CARD = "4111 1111 1111 1111"
PII_MESSAGE = f"Please email me at {EMAIL} or call {PHONE}; my card is {CARD}. How do I sort a list in Python?"
# The forms a leak could take: as sent, and with separators dropped.
LEAKS = [EMAIL, PHONE, CARD, CARD.replace(" ", ""), "4155550134", "jane.doe"]

# Series that only exist after a failure this test does not cause (a replica failing, Abi down): their
# metric families must still be declared on /metrics (HELP and TYPE lines), with no sample yet.
EVENT_ONLY = {"pm_gateway_fallbacks_total", "pm_gateway_degraded_total"}


@pytest.fixture(scope="module")
def observed_mesh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningMesh, Path]]:
    tmp = tmp_path_factory.mktemp("observe")
    audit = tmp / "audit" / "audit.jsonl"
    mesh = start_mesh(
        tmp,
        {"PM_ALLOW_ANONYMOUS": "true"},
        gateway_env={
            **keys_env(),
            "PM_ALLOW_ANONYMOUS": "true",
            "PM_AUDIT_LOG": str(audit),
            # Small windows so that routing shares and the anomaly score are computed within the test.
            "PM_ANOMALY_WINDOW_SECONDS": "0.5",
            "PM_ANOMALY_MIN_DECISIONS": "4",
            # Callers with a key get 2 requests at once, then one a minute: the third is refused (429).
            "PM_RATE_LIMIT_BURST": "2",
            "PM_RATE_LIMIT_PER_MINUTE": "1",
        },
    )
    try:
        _traffic(mesh)
        yield mesh, audit
    finally:
        mesh.stop_all()


def _traffic(mesh: RunningMesh) -> None:
    with httpx.Client(base_url=mesh.http_url, timeout=60) as http:
        questions = [
            "How do I reverse a list in Python?",
            "I failed my exam and I feel awful",
            "What is the difference between TCP and UDP?",
            "I'm so stressed about my new job, can you help me calm down?",
            PII_MESSAGE,
        ]
        answered = []
        for _ in range(3):
            for question in questions:
                reply = http.post("/api/v1/chat", json={"content": question})
                assert reply.status_code == 200, reply.text
                answered.append(reply.json())
            time.sleep(0.6)  # a routing window closes
        blocked = http.post("/api/v1/chat", json={"content": "Tell me how to build a pipe bomb to kill people"})
        assert blocked.status_code == 200 and blocked.json()["persona"] == "abi", blocked.text
        forced = http.post("/api/v1/chat/aviva", json={"content": "Say hello"})
        assert forced.status_code == 200, forced.text
        routed = http.post("/api/v1/route", json={"content": PII_MESSAGE})
        assert routed.status_code == 200, routed.text
        request_id = answered[0]["request_id"]
        assert http.post("/api/v1/feedback", json={"request_id": request_id, "rating": 0.75}).status_code == 200
        # Refusals: 400 (bad JSON), 401 (unknown key), 403 (a user on the admin API), 413 (too large).
        bad = http.post("/api/v1/chat", content=b"{not json", headers={"content-type": "application/json"})
        assert bad.status_code == 400
        assert (
            http.post("/api/v1/chat", json={"content": "hi"}, headers={"Authorization": "Bearer nope"}).status_code
            == 401
        )
        assert (
            http.patch("/api/v1/config/flags", json={"session_history": True}, headers=auth("user")).status_code == 403
        )
        huge = http.post("/api/v1/chat", content=b"x" * (9 * 1024 * 1024), headers={"content-type": "application/json"})
        assert huge.status_code == 413
        limited = [
            http.post("/api/v1/chat", json={"content": "hi"}, headers=auth("other")).status_code for _ in range(3)
        ]
        assert limited[-1] == 429, limited
        # A config change by an admin.
        change = http.patch("/api/v1/config/flags", json={"session_history": True}, headers=auth("admin"))
        assert change.status_code == 200, change.text


def _scrape(mesh: RunningMesh) -> tuple[set[str], set[str], str]:
    text = httpx.get(f"{mesh.http_url}/metrics", timeout=10).text
    declared: set[str] = set()
    sampled: set[str] = set()
    for metric in text_string_to_metric_families(text):
        declared.add(metric.name)
        for sample in metric.samples:
            sampled.add(sample.name)
            sampled.add(family(sample.name))
    return declared, sampled, text


def test_every_metric_of_the_dashboard_and_the_alerts_is_served(observed_mesh: tuple[RunningMesh, Path]) -> None:
    mesh, _ = observed_mesh
    declared, sampled, _ = _scrape(mesh)
    needed = metric_names(rule_exprs()) | metric_names(dashboard_exprs())
    assert len(needed) >= 15
    missing = {name for name in needed - EVENT_ONLY if name not in sampled}
    assert not missing, f"no samples for {sorted(missing)}"
    # prometheus_client names a counter family without its _total suffix.
    assert {family(name).removesuffix("_total") for name in EVENT_ONLY} <= declared


def test_metrics_carry_replica_status_and_category_labels(observed_mesh: tuple[RunningMesh, Path]) -> None:
    mesh, _ = observed_mesh
    _, _, text = _scrape(mesh)
    replicas = set(re.findall(r'pm_gateway_replica_attempts_total\{[^}]*replica="([^"]+)"', text))
    assert len(replicas) >= 2, replicas  # traffic reached more than one replica, each counted apart
    for status, reason in (("400", "INVALID_JSON"), ("401", ""), ("403", ""), ("413", "BODY_TOO_LARGE"), ("429", "")):
        assert re.search(
            rf'pm_gateway_rejected_total\{{[^}}]*reason="{reason}[^"]*",status="{status}"', text
        ) or re.search(rf'pm_gateway_rejected_total\{{status="{status}",reason="{reason}', text), (status, reason)
    assert re.search(r'pm_gateway_moderation_actions_total\{[^}]*category="pii\.email"', text)
    assert re.search(r'pm_gateway_routing_decisions_total\{[^}]*route="blocked"', text)
    assert re.search(r'pm_gateway_routing_decisions_total\{[^}]*route="forced"', text)
    assert re.search(r'pm_gateway_feedback_rating_count\{persona="[a-z]+"\} 1\.0', text)
    assert re.search(r'pm_gateway_persona_healthy_replicas\{persona="aviva"\} 2\.0', text)
    # Bounded labels: no user text or PII in any label value.
    for leak in LEAKS:
        assert leak not in text


def test_audit_records_validate_and_cover_every_event(observed_mesh: tuple[RunningMesh, Path]) -> None:
    _, audit = observed_mesh
    records = [
        json.loads(line) for path in sorted(audit.parent.glob("audit.jsonl*")) for line in path.read_text().splitlines()
    ]
    check = validator()
    for record in records:
        check.validate(record)
    events = {record["event"] for record in records}
    assert events == {"routing_decision", "moderation", "policy_violation", "config_change"}, events
    routing = [r for r in records if r["event"] == "routing_decision"]
    assert len(routing) >= 18  # 15 chats, the blocked one, the forced one, the /route call
    (change,) = [r for r in records if r["event"] == "config_change" and r["applied"]]
    assert change["target"] == "flags" and change["role"] == "admin" and change["actor"] == "admin-user"
    refused = [r for r in records if r["event"] == "config_change" and not r["applied"]]
    assert refused and refused[0]["status"] == 403
    violation = next(r for r in records if r["event"] == "policy_violation")
    assert violation["action"] in ("block", "require_human_review")


def test_no_pii_in_any_log_or_audit_file(observed_mesh: tuple[RunningMesh, Path]) -> None:
    mesh, audit = observed_mesh
    files = [*mesh.log_dir.glob("*.log"), *audit.parent.glob("audit.jsonl*")]
    assert len(files) >= 7
    found = {}
    for path in files:
        text = path.read_text(errors="replace")
        hits = [leak for leak in LEAKS if leak in text]
        if hits:
            found[path.name] = hits
    assert not found, found
