"""The audit log in process: schema-valid records, PII redacted, size-based rotation, destinations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from services.common import context as ctx
from services.common.audit import SCHEMA_PATH, SCHEMA_VERSION, AuditLog

EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"


def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _moderation(**extra: Any) -> dict[str, Any]:
    return {"direction": "input", "action": "warn", "severity": "low", "categories": ["pii.email"], **extra}


def test_records_follow_the_schema_and_carry_no_pii(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "audit.jsonl"
    audit = AuditLog(str(path), service="gateway")
    ctx.request_id_var.set("req-1")
    audit.record("moderation", **_moderation(reasons=[f"found {EMAIL} and card {CARD}"]))
    audit.record(
        "config_change",
        method="PATCH",
        path="/api/v1/config/flags",
        target="flags",
        status=200,
        applied=True,
        actor=EMAIL,
        role="admin",
    )
    audit.close()
    text = path.read_text()
    assert EMAIL not in text and CARD not in text and "[EMAIL]" in text
    records = [json.loads(line) for line in text.splitlines()]
    assert [r["event"] for r in records] == ["moderation", "config_change"]
    assert all(r["schema_version"] == SCHEMA_VERSION and r["request_id"] == "req-1" for r in records)
    check = validator()
    for record in records:
        check.validate(record)


def test_the_schema_rejects_what_it_must() -> None:
    check = validator()
    good = {
        "schema_version": "1.0",
        "event": "moderation",
        "time": "2026-11-30T20:00:00.000Z",
        "service": "gateway",
        "request_id": "r",
        **_moderation(reasons=[]),
    }
    check.validate(good)
    for bad in (
        {**good, "schema_version": "2.0"},
        {**good, "event": "chat"},
        {**good, "content": "the user's message"},  # the message never belongs in the audit log
        {**good, "action": "obliterate"},
        {key: value for key, value in good.items() if key != "direction"},
    ):
        with pytest.raises(jsonschema.ValidationError):
            check.validate(bad)


def test_rotation_by_size(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    audit = AuditLog(str(path), service="gateway", max_bytes=2048, backups=2)
    for i in range(100):
        audit.record("moderation", **_moderation(reasons=[f"reason {i} " + "x" * 40]))
    audit.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]
    assert all(p.stat().st_size <= 2048 for p in tmp_path.iterdir())
    for p in tmp_path.iterdir():
        for line in p.read_text().splitlines():
            json.loads(line)  # whole lines only: rotation never splits a record


def test_stdout_and_off(capsys: pytest.CaptureFixture[str]) -> None:
    AuditLog("stdout", service="abi").record("moderation", **_moderation(reasons=[]))
    line = capsys.readouterr().out.strip()
    assert json.loads(line)["service"] == "abi"
    off = AuditLog("off", service="abi")
    assert off.record("moderation", **_moderation(reasons=[])) is None
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="unknown audit event"):
        AuditLog("stdout", service="abi").record("chat")
