"""The persona registry's schema: one entry per persona, checked as a whole at start-up.

pydantic validates each entry (names, roles, ranges) and the registry-wide rules (one moderator, one
default and one support persona, fallbacks that exist); `docs/persona-registry.schema.json` is the
same schema as JSON Schema for editors and CI (`python -m services.common.registry --schema`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

NAME_PATTERN = r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$"
Role = Literal["moderator", "answering"]
# How an answering persona speaks: warm (supportive when the user is distressed) or direct.
Style = Literal["warm", "direct", "firm"]


class Generation(BaseModel):
    """Generation parameters a persona starts with (its own settings may override them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float = Field(0.5, ge=0.0, le=2.0)
    style: Style = "direct"


class Capabilities(BaseModel):
    """What a persona serves: Abi's query types and GoEmotions labels (listed to clients, used as a routing prior)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    query_types: tuple[str, ...] = ()
    emotions: tuple[str, ...] = ()


class PersonaEntry(BaseModel):
    """One persona: who it is, how it speaks, what it serves, where it runs locally and who stands in for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN, description="The name that travels: routing, APIs, metrics, logs.")
    display_name: str = Field(min_length=1, max_length=64)
    role: Role = "answering"
    description: str = Field(min_length=1, max_length=2000)
    # Characteristic messages; with the description they make the persona's embedding profile.
    examples: tuple[str, ...] = Field(min_length=1)
    # `python -m <module>` runs one replica (make run); empty for the moderator, which is its own service.
    module: str = Field("", pattern=r"^$|^[A-Za-z_][\w.]*$")
    port: int = Field(0, ge=0, lt=65536, description="First local gRPC port; replica i listens on port + i.")
    local_replicas: int = Field(2, ge=0, le=16, description="Replicas `make run` starts.")
    generation: Generation = Generation()
    capabilities: Capabilities = Capabilities()
    # Personas tried, in order, when this one cannot answer (after its own other replicas).
    fallback: tuple[str, ...] = ()
    default: bool = Field(False, description="Answers when Abi cannot decide or is down.")
    support: bool = Field(False, description="Answers every crisis message (support resources first).")

    @model_validator(mode="after")
    def _answering_needs_a_process(self) -> PersonaEntry:
        if self.role == "answering" and self.local_replicas and (not self.module or not self.port):
            raise ValueError(f"answering persona {self.name!r} has local replicas: it needs a module and a port")
        if self.role == "moderator" and (self.default or self.support or self.fallback):
            raise ValueError(f"the moderator {self.name!r} cannot be default, support or have fallbacks")
        return self


class RegistryDocument(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    personas: tuple[PersonaEntry, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _consistent(self) -> RegistryDocument:
        names = [p.name for p in self.personas]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"persona names must be unique: {', '.join(duplicates)}")
        answering = {p.name for p in self.personas if p.role == "answering"}
        for role_flag in ("moderator",):
            count = sum(p.role == role_flag for p in self.personas)
            if count != 1:
                raise ValueError(f"exactly one persona must have role {role_flag}, found {count}")
        for flag in ("default", "support"):
            count = sum(getattr(p, flag) for p in self.personas)
            if count != 1:
                raise ValueError(f"exactly one answering persona must be {flag}, found {count}")
        for persona in self.personas:
            unknown = [f for f in persona.fallback if f not in answering or f == persona.name]
            if unknown:
                raise ValueError(f"{persona.name}: fallback names no other answering persona: {', '.join(unknown)}")
        ports = [p.port + i for p in self.personas if p.role == "answering" for i in range(p.local_replicas)]
        if len(ports) != len(set(ports)):
            raise ValueError("answering personas' local ports (port + replica index) overlap")
        return self
