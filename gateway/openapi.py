"""`python -m gateway.openapi > docs/openapi.json`: the OpenAPI document the gateway serves."""

from __future__ import annotations

import asyncio
import json
import sys

from gateway.app import create_app
from gateway.settings import GatewaySettings
from gateway.state import Gateway


async def render() -> str:
    gateway = Gateway(GatewaySettings())
    try:
        return json.dumps(create_app(gateway).openapi(), indent=2, sort_keys=True) + "\n"
    finally:
        await gateway.close()


if __name__ == "__main__":
    sys.stdout.write(asyncio.run(render()))
