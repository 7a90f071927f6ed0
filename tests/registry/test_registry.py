"""The persona registry file: its schema, the lists services derive from it, and the name/enum pair on the wire."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from personamesh.v1 import persona_pb2
from services.common.registry import (
    DEFAULT_REGISTRY,
    RegistryError,
    load_registry,
    parse_registry,
    persona_enum,
    persona_label,
)
from services.common.registry.wire import alternatives_of, persona_of, set_alternatives, set_persona

ROOT = Path(__file__).resolve().parents[2]
TEST_REGISTRY = Path(__file__).with_name("personas.yaml")


def _entry(name: str, **extra: str) -> str:
    lines = [
        f"  - name: {name}",
        f"    display_name: {name.title()}",
        "    description: test persona",
        "    examples: [hello]",
        "    local_replicas: 0",
    ]
    lines += [f"    {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines)


def _document(*entries: str) -> str:
    moderator = "  - {name: mod, display_name: Mod, role: moderator, description: d, examples: [x]}"
    return "version: 1\npersonas:\n" + "\n".join([moderator, *entries]) + "\n"


def test_the_shipped_registry_declares_the_built_in_personas() -> None:
    registry = load_registry(DEFAULT_REGISTRY)
    assert registry.moderator == "abi"
    assert set(registry.answering) == {"abbey", "aviva"}
    assert registry.default == registry.support == "abbey"
    assert registry.local_replicas()["aviva"] == ["127.0.0.1:50071", "127.0.0.1:50072"]
    for name in registry.names:
        assert persona_label(persona_enum(name)) == name, "each built-in persona keeps its enum value"


def test_a_persona_outside_the_enum_travels_by_name() -> None:
    registry = load_registry(TEST_REGISTRY)
    assert registry.is_answering("bard") and persona_enum("bard") == persona_pb2.PERSONA_UNSPECIFIED
    decision = persona_pb2.RoutingDecision()
    set_persona(decision, "bard")
    set_alternatives(decision, ["aviva", "bard-two"])
    wire = persona_pb2.RoutingDecision.FromString(decision.SerializeToString())
    assert persona_of(wire) == "bard" and wire.persona == persona_pb2.PERSONA_UNSPECIFIED
    assert alternatives_of(wire) == ["aviva", "bard-two"]
    assert list(wire.alternatives) == [persona_pb2.PERSONA_AVIVA], "the enum list keeps the built-ins only"


def test_a_sender_that_knows_only_the_enum_is_still_understood() -> None:
    old = persona_pb2.RoutingDecision(persona=persona_pb2.PERSONA_AVIVA, alternatives=[persona_pb2.PERSONA_ABBEY])
    assert persona_of(old) == "aviva" and alternatives_of(old) == ["abbey"]
    request = persona_pb2.PersonaRequest(forced_persona=persona_pb2.PERSONA_ABBEY)
    assert persona_of(request, "forced_persona") == "abbey"
    assert persona_of(persona_pb2.PersonaRequest(), "forced_persona") == ""


def test_fallback_order_puts_declared_stand_ins_before_the_rest() -> None:
    registry = load_registry(TEST_REGISTRY)
    assert registry.fallback_order("aviva") == ["aviva", "bard", "abbey"]
    assert registry.fallback_order("bard", ["aviva"]) == ["bard", "aviva", "abbey"]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (_document(_entry("one", default="true", support="true"), _entry("one")), "unique"),
        (_document(_entry("one", support="true")), "default"),
        (_document(_entry("one", default="true", support="true", fallback="[ghost]")), "ghost"),
        (_document(_entry("One", default="true", support="true")), "personas.1.name"),
        (_document(_entry("one", default="true", support="true", colour="blue")), "colour"),
        (
            _document(_entry("one", default="true", support="true").replace("local_replicas: 0", "local_replicas: 2")),
            "needs a module and a port",
        ),
        ("personas: [", "not valid YAML"),
    ],
)
def test_a_bad_registry_is_refused_with_the_place_of_the_problem(document: str, problem: str) -> None:
    with pytest.raises(RegistryError, match=re.escape(problem)):
        parse_registry(document, "test.yaml")


def test_the_published_json_schema_is_the_one_the_code_validates_with() -> None:
    published = (ROOT / "docs" / "persona-registry.schema.json").read_text(encoding="utf-8")
    generated = subprocess.run(
        [sys.executable, "-m", "services.common.registry", "--schema"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert published == generated, (
        "regenerate with: python -m services.common.registry --schema > docs/persona-registry.schema.json"
    )


# Code that must know personas only through the registry (the personas' own packages may name themselves;
# settings_doc titles the docs of their settings classes).
REGISTRY_ONLY = ["gateway", "services/abi", "services/embeddings", "services/common", "services/devmesh"]
EXEMPT = {"services/devmesh/settings_doc.py"}


def _string_literals(path: Path) -> list[tuple[int, str]]:
    """Every string constant of a module except docstrings (they explain, they do not decide)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_code_outside_the_registry_names_an_answering_persona() -> None:
    names = load_registry(DEFAULT_REGISTRY).answering
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b", re.IGNORECASE)
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text!r}"
        for folder in REGISTRY_ONLY
        for path in sorted((ROOT / folder).rglob("*.py"))
        if str(path.relative_to(ROOT)) not in EXEMPT and "training" not in path.parts
        for line, text in _string_literals(path)
        if pattern.search(text)
    ]
    assert not found, "persona names belong in the registry file:\n" + "\n".join(found)
