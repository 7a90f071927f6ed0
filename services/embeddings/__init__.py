"""The embedding index service: embeddings, persona profiles, memory, knowledge and adaptive weights."""
