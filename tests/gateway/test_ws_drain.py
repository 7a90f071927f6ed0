"""SIGTERM of a gateway with a WebSocket answer in flight: the answer completes, a message still waiting
is refused with GATEWAY_DRAINING, then a `closing` event and close 1001; the process exits 0.

The answer comes from abbey-1 through a slow relay, so that it is still streaming when the signal comes.
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import connect

from tests.chaos.proxy import FaultProxy
from tests.conftest import RunningMesh
from tests.gateway.support import KEYS, start_gateway

FEELING = "I feel really lonely and sad since my friend moved away. What can I do?"


async def test_websocket_answer_in_flight_during_sigterm_completes(mesh: RunningMesh) -> None:
    relay = FaultProxy(mesh.layout.ports["abbey-1"], piece_bytes=32, delay_s=0.02, mode="delay")
    await relay.start()
    env = {**mesh.layout.replicas_env(abbey=[relay.address]), "PM_PROBE_TIMEOUT_SECONDS": "5"}
    gw = await asyncio.to_thread(start_gateway, mesh.layout, mesh.log_dir, "gateway-ws-drain", env)
    events: list[dict[str, Any]] = []
    signalled_at = 0
    try:
        url = gw.http_url.replace("http", "ws") + f"/api/v1/ws?api_key={KEYS['user']}"
        async with connect(url) as ws:
            assert json.loads(await ws.recv())["type"] == "session"
            await ws.send(json.dumps({"type": "chat", "content": FEELING, "persona": "abbey", "id": "m1"}))
            await ws.send(json.dumps({"type": "chat", "content": FEELING, "id": "m2"}))  # waits its turn
            with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
                while True:
                    event = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    events.append(event)
                    if event["type"] == "delta" and not signalled_at:
                        gw.process.signal(signal.SIGTERM)
                        signalled_at, began = len(events), time.monotonic()
        drained_in = time.monotonic() - began
        code = await asyncio.to_thread(gw.process.wait_exit, 30)
    finally:
        gw.process.stop()
        await relay.close()
    answer = [e for e in events if e.get("id") == "m1"]
    final = answer[-1]
    assert final["type"] == "final", answer[-3:]
    after_signal = [e["type"] for e in events[signalled_at:] if e.get("id") == "m1"]
    assert "delta" in after_signal and after_signal[-1] == "final", "the answer was still streaming at SIGTERM"
    streamed = "".join(e["content"] for e in answer if e["type"] == "delta")
    assert streamed == final["response"]["content"] and final["response"]["persona"] == "abbey"
    refused = next(e for e in events if e.get("id") == "m2")
    assert refused["type"] == "error" and refused["error"]["reason"] == "GATEWAY_DRAINING", refused
    assert events[-1] == {**events[-1], "type": "closing", "reason": "GATEWAY_DRAINING"}
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert code == 0
    print(f"\nWebSocket drain: the answer finished and the socket closed {drained_in:.2f} s after SIGTERM")
