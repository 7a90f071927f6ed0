"""The admin config API: personas (register, deregister, runtime settings), routing rules (through Abi),
feature flags, replicas.

A persona registered here is served by the gateway at once (listed, balanced, health-checked, asked for
by name, used as a fallback); Abi routes to it by rules once it is in the registry file Abi loads.
"""

from __future__ import annotations

from typing import Annotated, Any

import grpc
from fastapi import APIRouter, Depends, Path
from pydantic import Field

from gateway.auth import Principal, require_role
from gateway.frontdoors.http_api import GatewayDep, principal_of
from gateway.frontdoors.http_errors import error_responses
from gateway.frontdoors.schemas import (
    FeatureFlags,
    PersonaSettingsList,
    ReplicaRemoved,
    ReplicasByPersona,
    ReplicaSnapshot,
    RuleSet,
    RulesReplaced,
    RuleValidation,
    documented,
)
from gateway.pipeline.moderation import relay_error
from gateway.state import Gateway
from gateway.text import EdgeModel, check
from gateway.upstream.channels import call_options
from personamesh.v1 import abi_service_pb2
from services.common import context as ctx
from services.common.errors import ServiceError, invalid_argument, not_found, unavailable
from services.common.reasons import Reason
from services.common.registry import Capabilities, PersonaEntry, persona_registry
from services.common.registry.model import NAME_PATTERN


async def admin_of(principal: Annotated[Principal, Depends(principal_of)]) -> Principal:
    require_role(principal, "admin")
    ctx.role_var.set(principal.role)
    ctx.user_var.set(principal.user_id)
    return principal


router = APIRouter(
    prefix="/api/v1/config",
    tags=["config"],
    dependencies=[Depends(admin_of)],
    responses=error_responses(400, 401, 403, 404, 409, 503),
)


class PersonaSettingsBody(EdgeModel):
    enabled: bool | None = None
    weight: float | None = Field(None, ge=0.0, le=100.0)
    temperature: float | None = Field(None, ge=0.0, le=2.0)


class PersonaRegistration(EdgeModel):
    """A persona to serve from now on: its registry entry and where its replicas run."""

    name: str = Field(pattern=NAME_PATTERN, description="Registry name: lower-case letters, digits and hyphens.")
    display_name: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=2000)
    fallback: list[str] = Field(default_factory=list, max_length=16)
    query_types: list[str] = Field(default_factory=list, max_length=32)
    emotions: list[str] = Field(default_factory=list, max_length=64)
    replicas: list[str] = Field(default_factory=list, max_length=64, description="host:port of each replica.")


class RulesBody(EdgeModel):
    yaml: str = Field(max_length=1_000_000)
    expected_version: str = ""


class ReplicaBody(EdgeModel):
    persona: str = Field(min_length=1, max_length=64)
    address: str = Field(min_length=3, max_length=255, description="host:port")


def _persona_settings(gateway: Gateway) -> dict[str, Any]:
    return {
        name: {"enabled": g.config.enabled, "weight": g.config.weight, "temperature": g.config.temperature}
        for name, g in sorted(gateway.registry.personas.items())
    }


@router.get("/personas", summary="Runtime persona settings", **documented(PersonaSettingsList))
async def get_personas(gateway: GatewayDep) -> dict[str, Any]:
    return {"personas": _persona_settings(gateway)}


@router.post("/personas", summary="Register a persona at run time", **documented(PersonaSettingsList, status=201))
async def register_persona(body: PersonaRegistration, gateway: GatewayDep) -> dict[str, Any]:
    registry = gateway.registry
    if body.name in registry.personas or body.name == persona_registry().moderator:
        raise ServiceError(
            grpc.StatusCode.ALREADY_EXISTS, Reason.PERSONA_EXISTS, f"persona {body.name!r} already exists"
        )
    unknown = [name for name in body.fallback if name not in registry.personas]
    if unknown:
        raise invalid_argument(
            Reason.UNKNOWN_PERSONA, f"fallback names unknown personas: {', '.join(unknown)}", "fallback"
        )
    addresses = [_check_address(address, f"replicas[{i}]") for i, address in enumerate(body.replicas)]
    entry = PersonaEntry(
        name=body.name,
        display_name=body.display_name,
        description=body.description,
        examples=(body.description,),
        local_replicas=0,
        capabilities=Capabilities(query_types=tuple(body.query_types), emotions=tuple(body.emotions)),
        fallback=tuple(body.fallback),
    )
    registry.declare(body.name, entry, source="api")
    for address in addresses:
        registry.add(body.name, address, "api")
    return {"personas": _persona_settings(gateway)}


@router.delete(
    "/personas/{name}",
    summary="Deregister a persona (its replicas leave rotation at once)",
    **documented(PersonaSettingsList),
)
async def deregister_persona(name: Annotated[str, Path(max_length=64)], gateway: GatewayDep) -> dict[str, Any]:
    persona = name.lower()
    if persona in (gateway.pipeline.default_persona, gateway.pipeline.moderation.support_persona):
        raise ServiceError(
            grpc.StatusCode.FAILED_PRECONDITION,
            Reason.PERSONA_REQUIRED,
            f"{persona} is the default or support persona and cannot be deregistered",
        )
    if not await gateway.registry.forget(persona):
        raise not_found(Reason.UNKNOWN_PERSONA, f"no persona {name!r}")
    return {"personas": _persona_settings(gateway)}


@router.patch("/personas/{name}", summary="Change a persona's runtime settings", **documented(PersonaSettingsList))
async def patch_persona(name: str, body: PersonaSettingsBody, gateway: GatewayDep) -> dict[str, Any]:
    group = gateway.registry.group(name.lower())
    if group is None:
        raise not_found(Reason.UNKNOWN_PERSONA, f"no persona {name!r}")
    if body.enabled is not None:
        group.config.enabled = body.enabled
    if body.weight is not None:
        group.config.weight = body.weight
    if body.temperature is not None:
        group.config.temperature = body.temperature
    return {"personas": _persona_settings(gateway)}


async def _abi_call(coro: Any) -> Any:
    try:
        return await coro
    except grpc.RpcError as error:
        if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            raise unavailable(
                Reason.ABI_UNAVAILABLE, "Abi is unreachable; rules cannot be read or changed now"
            ) from error
        raise relay_error(error) from error


@router.get("/rules", summary="Abi's active routing rules (YAML)", **documented(RuleSet))
async def get_rules(gateway: GatewayDep) -> dict[str, Any]:
    reply = await _abi_call(
        gateway.abi.GetRules(abi_service_pb2.GetRulesRequest(), **call_options(gateway.abi_timeout))
    )
    return {"yaml": reply.yaml, "version": reply.version, "rule_count": reply.rule_count}


@router.post("/rules/validate", summary="Check a rule document without applying it", **documented(RuleValidation))
async def validate_rules(body: RulesBody, gateway: GatewayDep) -> dict[str, Any]:
    reply = await _abi_call(
        gateway.abi.ValidateRules(
            abi_service_pb2.ValidateRulesRequest(yaml=body.yaml), **call_options(gateway.abi_timeout)
        )
    )
    return {
        "valid": reply.valid,
        "rule_count": reply.rule_count,
        "errors": [{"path": e.path, "rule": e.rule_name, "message": e.message, "line": e.line} for e in reply.errors],
    }


@router.put("/rules", summary="Replace Abi's rule set atomically", **documented(RulesReplaced))
async def put_rules(body: RulesBody, gateway: GatewayDep) -> dict[str, Any]:
    reply = await _abi_call(
        gateway.abi.ReplaceRules(
            abi_service_pb2.ReplaceRulesRequest(yaml=body.yaml, expected_version=body.expected_version),
            **call_options(gateway.abi_timeout),
        )
    )
    return {"version": reply.version, "rule_count": reply.rule_count}


@router.get("/flags", summary="Feature flags", **documented(FeatureFlags))
async def get_flags(gateway: GatewayDep) -> dict[str, bool]:
    return dict(gateway.flags)


@router.patch("/flags", summary="Set feature flags (only known flags)", **documented(FeatureFlags))
async def patch_flags(body: dict[str, bool], gateway: GatewayDep) -> dict[str, bool]:
    check(body, "flags")
    unknown = sorted(set(body) - set(gateway.flags))
    if unknown:
        raise invalid_argument(Reason.UNKNOWN_FLAG, f"unknown feature flags: {', '.join(unknown)}", "flags")
    gateway.flags.update(body)
    return dict(gateway.flags)


@router.get("/replicas", summary="Registered replicas", **documented(ReplicasByPersona))
async def get_replicas(gateway: GatewayDep) -> dict[str, Any]:
    return {
        name: [r.snapshot() for r in group.replicas.values()]
        for name, group in sorted(gateway.registry.personas.items())
    }


def _check_address(address: str, field: str) -> str:
    host, _, port = address.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise invalid_argument(Reason.INVALID_ADDRESS, f"{field} must be host:port", field)
    return address.strip()


@router.post("/replicas", summary="Register a replica at run time", **documented(ReplicaSnapshot))
async def add_replica(body: ReplicaBody, gateway: GatewayDep) -> dict[str, Any]:
    persona = body.persona.strip().lower()
    if persona not in gateway.registry.personas:
        raise invalid_argument(Reason.UNKNOWN_PERSONA, f"{persona!r} is not a registered persona", "persona")
    address = _check_address(body.address, "address")
    replica = gateway.registry.add(persona, address, "api")
    return replica.snapshot()


@router.delete("/replicas/{persona}/{address}", summary="Deregister a replica", **documented(ReplicaRemoved))
async def remove_replica(persona: str, address: str, gateway: GatewayDep) -> dict[str, Any]:
    if not await gateway.registry.remove(persona.lower(), address):
        raise not_found(Reason.UNKNOWN_REPLICA, f"{persona}/{address} is not registered")
    return {"removed": f"{persona}/{address}"}
