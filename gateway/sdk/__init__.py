"""persona-mesh's Python client: the gateway's HTTP API, typed, sync and async, and the `persona-mesh` command.

    from gateway.sdk import Client
    with Client("http://127.0.0.1:8080", api_key="pm_...") as mesh:
        answer = mesh.chat("How do I reverse a list in Python?")
        print(answer.persona, answer.content)
        for piece in mesh.stream("Tell me about TCP", persona="aviva"):
            print(piece, end="")

Errors raise PersonaMeshError with the server's status, reason and message (docs/gateway.md lists them).
It needs only httpx: it is the same client `persona-mesh` (gateway/sdk/cli.py) uses.
"""

from gateway.sdk.client import AsyncClient, Client
from gateway.sdk.errors import PersonaMeshError
from gateway.sdk.models import ChatAnswer, Persona, RoutingDecision

__all__ = ["AsyncClient", "ChatAnswer", "Client", "Persona", "PersonaMeshError", "RoutingDecision"]
