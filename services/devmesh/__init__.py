"""Runs the whole mesh as local processes: `make run`, and the integration tests."""
