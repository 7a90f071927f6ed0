"""Front doors: HTTP (REST, OpenAI-compatible, WebSocket, config API) and gRPC, their errors and shapes."""
