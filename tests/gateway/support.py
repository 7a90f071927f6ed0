"""Helpers for gateway tests: API keys, extra gateway processes, private meshes (faults: tests/chaos/proxy.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gateway.auth import key_entry
from services.devmesh.processes import ServiceProcess, free_port
from services.devmesh.topology import MeshLayout
from tests.conftest import RunningMesh, start_mesh

KEYS = {
    "admin": "pm_test_admin_0123456789abcdef",
    "operator": "pm_test_operator_0123456789abcdef",
    "user": "pm_test_user_0123456789abcdef",
    "other": "pm_test_other_0123456789abcdef",
}
ROLES = {"admin": "admin", "operator": "operator", "user": "user", "other": "user"}


def keys_env() -> dict[str, str]:
    entries = [key_entry(key, f"{name}-user", ROLES[name]) for name, key in KEYS.items()]
    return {"PM_API_KEYS": ",".join(entries)}


def auth(name: str = "user") -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[name]}"}


@dataclass
class GatewayProcess:
    process: ServiceProcess
    http_port: int

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def target(self) -> str:
        return self.process.target


def start_gateway(layout: MeshLayout, log_dir: Path, name: str, env: dict[str, str] | None = None) -> GatewayProcess:
    """A gateway process of our own over a mesh's backends (keys configured, no anonymous access)."""
    http_port = free_port()
    merged = {
        **layout.common_env(),
        "PM_HTTP_PORT": str(http_port),
        "PM_METRICS_PORT": "-1",
        "PM_ALLOW_ANONYMOUS": "false",
        "PM_HEALTH_INTERVAL_SECONDS": "0.5",
        **keys_env(),
        **(env or {}),
    }
    process = ServiceProcess(name, "gateway", free_port(), merged, log_dir).start_serving(60)
    return GatewayProcess(process, http_port)


def start_private_mesh(
    tmp: Path, *, extra_env: dict[str, str] | None = None, gateway_env: dict[str, str] | None = None
) -> RunningMesh:
    """Every service of a mesh on free ports; the gateway gets the test keys and its own settings on top."""
    return start_mesh(tmp, extra_env, {**keys_env(), **(gateway_env or {})})


async def poll_json(url: str, check: Callable[[Any], bool], *, within: float = 15.0, headers: dict[str, str]) -> Any:
    """Poll a JSON endpoint until `check(json)` is true; return that JSON."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            body = (await client.get(url, headers=headers)).json()
            if check(body):
                return body
            if loop.time() > deadline:
                raise AssertionError(f"condition not met in {within}s; last: {body}")
            await asyncio.sleep(0.1)
