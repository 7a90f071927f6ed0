"""Every PM_* variable the chart sets is one the service actually reads.

pydantic-settings ignores unknown environment variables (extra="ignore"), so a typo
or a renamed setting in the chart would be silently dropped in production. The
settings classes are the source of truth: each component's variables must be fields
of its settings (`<module>.settings`, or CommonSettings for a service without one).
"""

from __future__ import annotations

import importlib
import inspect
import os
from typing import Any

import pytest
from pydantic_settings import BaseSettings

from gateway.settings import GatewaySettings
from services.common.registry import persona_registry
from services.common.settings import CommonSettings
from tests.helm.manifests import Rendered, component_of, main_container, module_of

PREFIX = "PM_"


def settings_classes(module: str) -> list[type[BaseSettings]]:
    """The settings classes of the service run as `python -m <module>`."""
    try:
        settings_module = importlib.import_module(f"{module}.settings")
    except ModuleNotFoundError as error:
        if error.name != f"{module}.settings":
            raise
        classes: list[type[BaseSettings]] = [CommonSettings]
    else:
        classes = [
            cls
            for _, cls in inspect.getmembers(settings_module, inspect.isclass)
            if issubclass(cls, BaseSettings) and cls is not BaseSettings
        ]
    assert classes, f"{module}.settings defines no settings class"
    for cls in classes:
        assert cls.model_config.get("env_prefix") == PREFIX, cls
    return classes


def settings_fields(module: str) -> set[str]:
    """PM_* names read by the service run as `python -m <module>`."""
    return {PREFIX + name.upper() for cls in settings_classes(module) for name in cls.model_fields}


def test_container_env_names_are_settings_of_that_component(chart: Rendered) -> None:
    for workload in chart.workloads():
        read = settings_fields(module_of(workload))
        names = {var["name"] for var in main_container(workload).get("env", [])}
        unknown = sorted(n for n in names if n.startswith(PREFIX) and n not in read)
        assert not unknown, f"{component_of(workload)} ({module_of(workload)}) does not read {unknown}"


def test_shared_config_map_keys_are_read_by_some_component(chart: Rendered) -> None:
    read_by_any = set().union(*(settings_fields(module_of(w)) for w in chart.workloads()))
    for config_map in chart.of_kind("ConfigMap"):
        unknown = sorted(k for k in config_map["data"] if k not in read_by_any)
        assert not unknown, f"no service reads {unknown}"


def test_the_check_catches_a_misspelt_setting() -> None:
    """The rule above can fail: a name no settings class declares is reported."""
    read = settings_fields("gateway")
    assert "PM_PERSONA_DNS" in read
    assert "PM_PERSONAS_DNS" not in read


def _load(cls: type[BaseSettings], env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        for name in os.environ:
            if name.startswith(PREFIX):
                patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        return cls()


def test_rendered_env_parses_into_each_services_settings(chart: Rendered, monkeypatch: pytest.MonkeyPatch) -> None:
    """The services accept the chart's values as they are written (types, enums, JSON)."""
    for workload in chart.workloads():
        env = {
            name: value if isinstance(value, str) else "secret-from-kubernetes"
            for name, value in chart.env(component_of(workload)).items()
        }
        for cls in settings_classes(module_of(workload)):
            settings = _load(cls, env, monkeypatch)
            assert settings.host == "0.0.0.0"
            assert settings.port == int(env["PM_PORT"])
            assert settings.drain_delay_seconds + settings.grace_seconds > 0
    gateway_env = {k: v for k, v in chart.env("gateway").items() if isinstance(v, str)}
    gateway_settings = _load(GatewaySettings, gateway_env, monkeypatch)
    assert set(gateway_settings.persona_dns) == {"abbey", "aviva"}
    assert gateway_settings.static_replicas(persona_registry()) == {}, "in a cluster only DNS declares replicas"
    assert gateway_settings.allow_anonymous is False
