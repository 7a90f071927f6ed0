"""Abi: moderation (sentiment, emotion, policy) and routing of every request to a persona."""
