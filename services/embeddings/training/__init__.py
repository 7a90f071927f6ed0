"""Offline steps that write the embedding index's model files (the training environment, not the services)."""
