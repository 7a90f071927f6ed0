"""Renders docs/configuration.md from the settings classes, so the page cannot drift from the code.

`python -m services.devmesh.settings_doc > docs/configuration.md` (`make docs`);
tests/foundation/test_docs.py fails when the checked-in page differs.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from services.common.settings import CommonSettings

# (heading, module, class): common first; each service lists only what it adds.
COMPONENTS: list[tuple[str, str, str]] = [
    ("Every service", "services.common.settings", "CommonSettings"),
    ("Generation backends (Abbey, Aviva)", "services.common.generation.settings", "GenerationSettings"),
    ("Personas (Abbey, Aviva)", "services.common.persona", "PersonaSettings"),
    ("Documentation answers (Abbey, Aviva)", "services.common.knowledge.settings", "KnowledgeSettings"),
    ("Abbey", "services.abbey.settings", "AbbeySettings"),
    ("Aviva", "services.aviva.settings", "AvivaSettings"),
    ("Embedding index", "services.embeddings.settings", "EmbeddingsSettings"),
    ("Abi", "services.abi.settings", "AbiSettings"),
    ("Gateway", "gateway.settings", "GatewaySettings"),
    ("Observability (gateway: audit log, routing anomaly detection)", "services.common.audit", "ObservabilitySettings"),
    ("Tracing (every process)", "services.common.tracing", "TracingSettings"),
]

HEADER = """# Configuration

Every setting is an environment variable; the defaults run the local mesh
(`make run`) with no configuration. This page is generated from the settings
classes (`make docs`); a test fails when it is out of date.

Each service reads the settings under "Every service" plus its own section.
Ports default per service: gateway 50051 (HTTP 8080), abi 50052, embeddings
50053; each persona's ports come from the persona registry (abbey 50061 and
50062, aviva 50071 and 50072).

Every process also reads `PM_PERSONA_REGISTRY`: the persona registry file
(default `services/common/registry/personas.yaml`; see docs/personas.md).
"""


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        try:
            value: Any = field.default_factory()  # type: ignore[call-arg]
        except TypeError:
            return "(computed)"
    else:
        value = field.default
    if value is None:
        return "(unset)"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int | float):
        return f"`{value}`"
    return f"`{json.dumps(value, default=str)}`"


def _rows(cls: type[BaseSettings], inherited: set[str]) -> list[str]:
    prefix = str(cls.model_config.get("env_prefix", ""))
    rows = []
    for name, field in cls.model_fields.items():
        if name in inherited:
            continue
        env = (field.alias or f"{prefix}{name}").upper()
        description = (field.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{env}` | {_default(field)} | {description} |")
    return rows


def render() -> str:
    parts = [HEADER]
    for heading, module_name, class_name in COMPONENTS:
        cls: type[BaseSettings] = getattr(importlib.import_module(module_name), class_name)
        parents = [base for base in cls.__mro__[1:] if isinstance(base, type) and issubclass(base, BaseSettings)]
        inherited = set().union(*(set(p.model_fields) for p in parents)) if cls is not CommonSettings else set()
        rows = _rows(cls, inherited)
        if not rows:
            continue
        parts.append(f"\n## {heading}\n\n`{module_name}.{class_name}`\n")
        parts.append("| variable | default | meaning |\n|---|---|---|")
        parts.extend(rows)
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
