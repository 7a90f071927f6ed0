"""Shared runtime of every persona-mesh service.

Server bootstrap, settings, logging, metrics, errors, breakers, generation
backends, typed clients, the PII patterns (`pii`) and the output guard that keeps
PII and a persona's instructions out of answers (`output_guard`). It imports no
service: services import it.
"""
