"""Shared runtime of every persona-mesh service.

Server bootstrap, settings, logging, metrics, errors, breakers, generation
backends and typed clients. It imports no service: services import it.
"""
