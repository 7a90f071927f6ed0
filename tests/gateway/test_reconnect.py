"""The gateway's reconnect backoff to Abi, measured at the wire.

gRPC's default reconnect backoff starts at 1 s and grows 1.6x per failed attempt up to 120 s: after a
20 s outage the gaps between attempts are already 6-10 s, and after two minutes up to a minute, so a
service back after a long outage stays unused for that long (issue 11 measured 61 s). Every in-mesh
channel bounds it (services/common/clients.py, MAX_RECONNECT_SECONDS). A proxy in front of Abi refuses
every connection for OUTAGE_S and records each attempt; the gaps must stay within the bound (gRPC adds
up to 20% jitter), and once the proxy lets traffic through again the gateway routes with Abi, not
degraded, within 5 s. With gRPC's default backoff both assertions fail. `make chaos` runs the same
recovery after a real two-minute outage of Abi and of the index.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from services.common.clients import MAX_RECONNECT_SECONDS
from tests.chaos.proxy import FaultProxy
from tests.conftest import RunningMesh
from tests.gateway.support import auth, start_gateway

OUTAGE_S = 20.0
# The bound, gRPC's jitter (+-20%) on top, and some scheduling slack on a busy machine.
LONGEST_GAP_S = MAX_RECONNECT_SECONDS * 1.2 + 0.5
UNLIMITED = {"PM_RATE_LIMIT_PER_MINUTE": "100000", "PM_RATE_LIMIT_BURST": "100000"}
QUESTION = {"content": "Write a Python function that reverses a linked list."}


async def _route(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.post("/api/v1/route", json=QUESTION)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_gateway_reconnects_to_abi_within_the_bound_after_an_outage(mesh: RunningMesh) -> None:
    proxy = FaultProxy(mesh.layout.ports["abi"])
    await proxy.start()
    gw = await asyncio.to_thread(
        start_gateway, mesh.layout, mesh.log_dir, "gateway-reconnect", {"PM_ABI_ADDR": proxy.address, **UNLIMITED}
    )
    try:
        async with httpx.AsyncClient(base_url=gw.http_url, headers=auth(), timeout=10) as http:
            assert not (await _route(http))["degraded"], "Abi should be reachable through the proxy"
            proxy.set_mode("refuse")
            began = time.monotonic()
            while time.monotonic() - began < OUTAGE_S:
                assert (await _route(http))["degraded"], "routed with Abi while every connection was refused"
                await asyncio.sleep(0.5)
            proxy.set_mode("pass")
            healed = time.monotonic()
            while (await _route(http))["degraded"]:
                assert time.monotonic() - healed < 5.0, "the gateway still routes degraded 5 s after Abi is back"
                await asyncio.sleep(0.1)
            recovered_s = time.monotonic() - healed
    finally:
        await asyncio.to_thread(gw.process.stop)
        await proxy.close()
    attempts = [t for t in proxy.refused_at if t >= began]
    gaps = [later - earlier for earlier, later in zip([began, *attempts], [*attempts, healed], strict=True)]
    print(
        f"\nAbi refused for {OUTAGE_S:.0f} s: {len(attempts)} reconnect attempts, longest gap {max(gaps):.2f} s"
        f" (bound {LONGEST_GAP_S:.2f} s); routed with Abi again {recovered_s:.2f} s after it was back"
    )
    assert len(attempts) >= OUTAGE_S / LONGEST_GAP_S - 1, attempts
    assert max(gaps) <= LONGEST_GAP_S, [round(gap, 2) for gap in gaps]
