"""The declarative rules engine: a YAML document validated against a schema, compiled once,
evaluated per request with real priority and override semantics, hot-reloaded from disk.
"""
