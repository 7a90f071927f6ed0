"""The persona registry: which personas exist, read from one declarative file by every service.

`persona_registry()` loads `personas.yaml` beside this module, or the file `PM_PERSONA_REGISTRY`
names, once per process. Abi takes its persona labels and rule vocabulary from it, the embedding
index its profiles, the gateway its replica groups and fallback order, `make run` its processes.

On the wire a persona travels by its registry name (the `*_name` fields of the protos). The
`Persona` enum still carries the built-in three for older clients: `persona_enum` and
`persona_label` convert between the two, and the name wins whenever both are set.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import ValidationError

from personamesh.v1 import persona_pb2
from services.common.registry.model import Capabilities, Generation, PersonaEntry, RegistryDocument

DEFAULT_REGISTRY = Path(__file__).with_name("personas.yaml")
REGISTRY_ENV = "PM_PERSONA_REGISTRY"
_ENUM_PREFIX = "PERSONA_"


class RegistryError(ValueError):
    """The registry file is missing, not YAML, or breaks the schema (the message says where)."""


class PersonaRegistry:
    """The validated registry, with the lists services derive from it."""

    def __init__(self, document: RegistryDocument, source: str = "") -> None:
        self.source = source
        self.entries: dict[str, PersonaEntry] = {p.name: p for p in document.personas}
        self.moderator = next(p.name for p in document.personas if p.role == "moderator")
        # Answering personas in file order: the order routing breaks ties in and lists show.
        self.answering: tuple[str, ...] = tuple(p.name for p in document.personas if p.role == "answering")
        self.default = next(p.name for p in document.personas if p.default)
        self.support = next(p.name for p in document.personas if p.support)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.entries)

    def get(self, name: str) -> PersonaEntry | None:
        return self.entries.get(name)

    def is_answering(self, name: str) -> bool:
        return name in self.answering

    def fallback_order(self, first: str, alternatives: Iterable[str] = ()) -> list[str]:
        """`first`, then the decision's alternatives, then first's declared fallbacks, then everyone else."""
        order = [first] if first else []
        entry = self.entries.get(first)
        for name in (*alternatives, *(entry.fallback if entry else ()), *self.answering):
            if name not in order and name in self.answering:
                order.append(name)
        return order

    def local_replicas(self, host: str = "127.0.0.1") -> dict[str, list[str]]:
        """Answering persona -> the addresses `make run` starts it on (port, port + 1, ...)."""
        return {
            p.name: [f"{host}:{p.port + i}" for i in range(p.local_replicas)]
            for p in self.entries.values()
            if p.role == "answering" and p.local_replicas
        }


def parse_registry(text: str, source: str = "<string>") -> PersonaRegistry:
    """Validate a registry document; RegistryError names the file and every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RegistryError(f"{source}: not valid YAML: {error}") from error
    try:
        return PersonaRegistry(RegistryDocument.model_validate(data), source)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or '(document)'}: {e['msg']}" for e in error.errors()
        )
        raise RegistryError(f"{source}: {problems}") from error


def load_registry(path: Path | str | None = None) -> PersonaRegistry:
    target = Path(path or os.environ.get(REGISTRY_ENV) or DEFAULT_REGISTRY)
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as error:
        raise RegistryError(f"cannot read the persona registry {target}: {error.strerror}") from error
    return parse_registry(text, str(target))


@functools.cache
def persona_registry() -> PersonaRegistry:
    """This process's registry (loaded on first use; a bad file raises RegistryError)."""
    return load_registry()


def persona_enum(name: str) -> persona_pb2.Persona.ValueType:
    """The enum value of a built-in persona's name; PERSONA_UNSPECIFIED for any other name."""
    try:
        return persona_pb2.Persona.Value(_ENUM_PREFIX + name.strip().upper())
    except ValueError:
        return persona_pb2.PERSONA_UNSPECIFIED


def persona_label(value: int, name: str = "") -> str:
    """The persona a message names: its `*_name` field when set, else the enum's name ("" if neither)."""
    if name:
        return name
    if value == persona_pb2.PERSONA_UNSPECIFIED:
        return ""
    try:
        return persona_pb2.Persona.Name(value).removeprefix(_ENUM_PREFIX).lower()  # type: ignore[arg-type]
    except ValueError:
        return ""


__all__ = [
    "DEFAULT_REGISTRY",
    "REGISTRY_ENV",
    "Capabilities",
    "Generation",
    "PersonaEntry",
    "PersonaRegistry",
    "RegistryError",
    "load_registry",
    "parse_registry",
    "persona_enum",
    "persona_label",
    "persona_registry",
]
