"""The chat pipeline: limits, moderation and routing (Abi), fallback across replicas, output check, memory, stats."""
