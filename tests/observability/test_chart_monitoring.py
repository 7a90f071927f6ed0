"""The chart's PrometheusRule and Grafana dashboard ConfigMap: rendered from the one source file each."""

from __future__ import annotations

import json

import kubernetes_validate
import pytest
import yaml

from tests.helm.tools import render
from tests.observability.monitoring import ALERTS, DASHBOARD, dashboard, dashboard_exprs, metric_names

ON = ("metrics.prometheusRule.enabled=true", "metrics.grafanaDashboard.enabled=true")


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    return render(sets=ON)


def _of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [obj for obj in objects if obj["kind"] == kind]


def test_prometheus_rule_is_the_rules_file(objects: list[dict]) -> None:
    (rule,) = _of_kind(objects, "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["namespace"] == "pm"
    assert rule["spec"]["groups"] == yaml.safe_load(ALERTS.read_text())["groups"]


def test_dashboard_configmap_is_the_dashboard_file(objects: list[dict]) -> None:
    (config,) = [obj for obj in _of_kind(objects, "ConfigMap") if "persona-mesh.json" in obj.get("data", {})]
    assert config["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config["data"]["persona-mesh.json"]) == json.loads(DASHBOARD.read_text())
    kubernetes_validate.validate(config, "1.27.0", strict=True)


def test_both_are_off_by_default_and_with_metrics_off() -> None:
    kinds = [obj["kind"] for obj in render()]
    assert "PrometheusRule" not in kinds
    off = render(sets=(*ON, "metrics.enabled=false"))
    assert _of_kind(off, "PrometheusRule") == []


def test_rule_labels_and_dashboard_namespace_are_settable() -> None:
    objects = render(
        sets=(
            *ON,
            "metrics.prometheusRule.labels.release=kube-prometheus-stack",
            "metrics.grafanaDashboard.namespace=monitoring",
            "metrics.grafanaDashboard.annotations.grafana_folder=persona-mesh",
        )
    )
    (rule,) = _of_kind(objects, "PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    (config,) = [obj for obj in _of_kind(objects, "ConfigMap") if "persona-mesh.json" in obj.get("data", {})]
    assert config["metadata"]["namespace"] == "monitoring"
    assert config["metadata"]["annotations"]["grafana_folder"] == "persona-mesh"


def test_dashboard_covers_what_operators_need() -> None:
    titles = " ".join(panel["title"].lower() for panel in dashboard()["panels"])
    for topic in ("requests", "p50", "p95", "p99", "success", "satisfaction", "breaker", "fallback", "moderation",
                  "share", "anomaly"):  # fmt: skip
        assert topic in titles, topic
    names = metric_names(dashboard_exprs())
    assert {"pm_gateway_routing_anomaly_score", "pm_gateway_feedback_rating_sum"} <= names
    assert all(
        panel.get("datasource", {}).get("uid", "${datasource}") == "${datasource}" for panel in dashboard()["panels"]
    )
