"""`python -m gateway.frontdoors.openapi > docs/openapi.json`: the OpenAPI document the gateway serves."""

from __future__ import annotations

import asyncio
import json
import secrets
import sys

from gateway.frontdoors.app import create_app
from gateway.settings import GatewaySettings
from gateway.state import Gateway
from services.common.internal_auth import InternalAuth


async def render() -> str:
    # Rendering makes no internal calls: a throwaway signing key will do.
    gateway = Gateway(GatewaySettings(), InternalAuth(secrets.token_urlsafe(32)))
    try:
        return json.dumps(create_app(gateway).openapi(), indent=2, sort_keys=True) + "\n"
    finally:
        await gateway.close()


if __name__ == "__main__":
    sys.stdout.write(asyncio.run(render()))
