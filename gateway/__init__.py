"""persona-mesh gateway: the front door (HTTP, WebSocket, gRPC, OpenAI-compatible)."""
