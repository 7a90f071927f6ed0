"""Rendered charts shared by the helm tests: default values and a production-like values file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helm.manifests import Rendered
from tests.helm.tools import CHART, NAMESPACE, helm_binary, render

PRODUCTION_VALUES = CHART / "ci" / "production-values.yaml"


@pytest.fixture(scope="session")
def helm_path() -> Path:
    return helm_binary()


@pytest.fixture(scope="module")
def default_chart(helm_path: Path) -> Rendered:
    return Rendered(render(namespace=NAMESPACE))


@pytest.fixture(scope="module")
def production_chart(helm_path: Path) -> Rendered:
    return Rendered(render(PRODUCTION_VALUES, namespace=NAMESPACE))


@pytest.fixture(scope="module", params=["default", "production"])
def chart(request: pytest.FixtureRequest, default_chart: Rendered, production_chart: Rendered) -> Rendered:
    """Each property test runs against both renderings."""
    return default_chart if request.param == "default" else production_chart
