"""`make e2e-llm`: the OpenAI-compatible generation path against a real model server, end to end.

Every other test of that path talks to the stand-in upstream (tests/fakes/openai_upstream.py); this one
runs llama.cpp's server with a real (tiny) model, so what a real server streams, how it applies its chat
template and how long it takes are checked too. Opt-in: building the server takes minutes.
"""
