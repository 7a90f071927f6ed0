"""The audit log: routing decisions, moderation events, policy violations and config changes as JSON lines.

Every record follows the versioned JSON Schema in docs/audit-event.schema.json (`schema_version`
says which). Records never carry the user's message; every free-text field (reasons, the user id,
paths) goes through the mesh's PII redaction (`services.common.pii.redact_text`) before it is written.

Destination by setting (`PM_AUDIT_LOG`): `off` (the default), `stdout`, or a file path, rotated by
size with `logging.handlers.RotatingFileHandler` (`PM_AUDIT_MAX_BYTES`, `PM_AUDIT_BACKUPS`).
The records go through their own logger (`persona_mesh.audit`), never through the service's log.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common import context as ctx
from services.common import pii

SCHEMA_VERSION = "1.0"
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "audit-event.schema.json"
EVENTS = ("routing_decision", "moderation", "policy_violation", "config_change")
LOGGER_NAME = "persona_mesh.audit"


class ObservabilitySettings(BaseSettings):
    """Audit log, routing anomaly detection and tracing (read by the gateway)."""

    model_config = SettingsConfigDict(env_prefix="PM_", extra="ignore")

    audit_log: str = Field(
        default="off",
        description="Where audit records go (JSON lines, docs/audit-event.schema.json): off, stdout, or a file path "
        "(rotated by size).",
    )
    audit_max_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Size at which the audit file is rotated."
    )
    audit_backups: int = Field(default=5, ge=0, description="Rotated audit files kept (file.1 ... file.N).")
    anomaly_window_seconds: float = Field(
        default=60.0, gt=0, description="Routing anomaly detection: shortest window of routing decisions compared."
    )
    anomaly_min_decisions: int = Field(
        default=50, ge=1, description="Routing anomaly detection: fewest decisions in a window (it lasts longer)."
    )
    anomaly_alpha: float = Field(
        default=0.1, gt=0, le=1, description="Routing anomaly detection: EWMA weight of the newest window."
    )


def _redacted(value: Any) -> Any:
    """Every string in a JSON-able value, PII redacted."""
    if isinstance(value, str):
        return pii.redact_text(value)
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _redacted(item) for key, item in value.items()}
    return value


class AuditLog:
    """Writes audit records to one destination; `off` writes nothing."""

    def __init__(self, destination: str = "off", *, service: str, max_bytes: int = 10 << 20, backups: int = 5) -> None:
        self.destination = destination.strip() or "off"
        self.service = service
        self._lock = threading.Lock()
        self._logger = logging.getLogger(f"{LOGGER_NAME}.{service}")
        self._logger.propagate = False
        self._logger.setLevel(logging.INFO)
        for old in list(self._logger.handlers):
            self._logger.removeHandler(old)
            old.close()
        handler: logging.Handler | None
        if self.destination.lower() == "off":
            handler = None
        elif self.destination.lower() == "stdout":
            handler = logging.StreamHandler(sys.stdout)
        else:
            path = Path(self.destination)
            path.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
            )
        if handler is not None:
            handler.setFormatter(logging.Formatter("%(message)s"))
            self._logger.addHandler(handler)
        self._handler = handler
        self.enabled = handler is not None

    def record(self, event: str, **fields: Any) -> dict[str, Any] | None:
        """Write one record (PII redacted); returns it, or None when the log is off."""
        if not self.enabled:
            return None
        if event not in EVENTS:
            raise ValueError(f"unknown audit event {event!r}")
        record: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "event": event,
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "service": self.service,
            "request_id": ctx.request_id_var.get(),
            **_redacted(fields),
        }
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        with self._lock:
            self._logger.info(line)
        return record

    def close(self) -> None:
        if self._handler is not None:
            self._logger.removeHandler(self._handler)
            self._handler.close()
            self._handler = None
        self.enabled = False
