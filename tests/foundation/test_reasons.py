"""Every error reason the mesh can answer with is in the catalogue (services/common/reasons.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import descriptor_pool
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2
from milvus_lite import DataType as MilvusDataType

import personamesh.v1.gateway_service_pb2  # noqa: F401 - loads every contract into the default pool
from services.common.errors import ServiceError, invalid_argument, resource_exhausted, unavailable
from services.common.reasons import Reason
from services.devmesh.errors_doc import REASON_ARGUMENT

ROOT = Path(__file__).resolve().parents[2]
UPPER_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def _sources() -> list[Path]:
    return sorted(p for folder in ("services", "gateway") for p in (ROOT / folder).rglob("*.py"))


def _not_reasons() -> set[str]:
    """UPPER_SNAKE strings that are something else: status codes, health states, enum value names."""
    names = {code.name for code in grpc.StatusCode} | set(health_pb2.HealthCheckResponse.ServingStatus.keys())
    names |= {"UNREACHABLE", "ERROR_DOMAIN"}
    names |= {"DEBIAN_FRONTEND", "LC_ALL", "MAN_KEEP_FORMATTING"}  # environment of apt-get and man (the docs corpus)
    names.add("OMP_NUM_THREADS")  # OpenMP's thread count (services/common/process_limits.py)
    names.add("ARROW_DEFAULT_MEMORY_POOL")  # Arrow's allocator in the embedding index (services/embeddings/__init__.py)
    names |= {kind.name for kind in MilvusDataType}  # field kinds of the index's collections (collections.py)
    pool = descriptor_pool.Default()
    for name in ("personamesh.v1.Persona", "personamesh.v1.Role", "personamesh.v1.Tone"):
        names |= {value.name for value in pool.FindEnumTypeByName(name).values}
    return names


def _call_name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _reason_literals(tree: ast.AST) -> list[ast.Constant]:
    found: list[ast.Constant] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        index = REASON_ARGUMENT.get(_call_name(node.func))
        arguments = [node.args[index]] if index is not None and len(node.args) > index else []
        if _call_name(node.func) != "close":  # a WebSocket close reason is prose for people, not an error reason
            arguments += [kw.value for kw in node.keywords if kw.arg == "reason"]
        found += [
            sub
            for argument in arguments
            for sub in ast.walk(argument)
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str)
        ]
    return found


def test_every_reason_passed_to_an_error_is_catalogued() -> None:
    unknown = [
        f"{path.relative_to(ROOT)}:{literal.lineno}: {literal.value!r}"
        for path in _sources()
        for literal in _reason_literals(ast.parse(path.read_text(), str(path)))
        if literal.value not in Reason.__members__
    ]
    assert not unknown, "reasons missing from services/common/reasons.py:\n" + "\n".join(unknown)


def _exported_names(tree: ast.AST) -> set[int]:
    """The string constants of `__all__` lists: they name Python objects, not reasons."""
    return {
        id(element)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
        for element in ast.walk(node.value)
    }


def test_every_upper_snake_literal_is_a_reason_or_something_known() -> None:
    """Catches reasons in constants, tuples and class attributes, which the argument scan cannot see."""
    known = set(Reason.__members__) | _not_reasons()
    trees = {path: ast.parse(path.read_text(), str(path)) for path in _sources()}
    exported = {path: _exported_names(tree) for path, tree in trees.items()}
    unknown = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for path, tree in trees.items()
        for node in ast.walk(tree)
        if id(node) not in exported[path]
        and isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and UPPER_SNAKE.match(node.value)
        and not node.value.startswith("PM_")
        and node.value not in known
    ]
    assert not unknown, "UPPER_SNAKE strings that are neither a catalogued reason nor known:\n" + "\n".join(unknown)


def test_members_are_their_own_text() -> None:
    assert all(member.value == name for name, member in Reason.__members__.items())


def _details(error: ServiceError) -> list[Any]:
    status = error.to_status()
    raw = dict(status.trailing_metadata)["grpc-status-details-bin"]
    return list(status_pb2.Status.FromString(raw).details)


def _unpack(detail: Any, kind: type[Any]) -> Any:
    assert detail.Is(kind.DESCRIPTOR), detail.type_url
    message = kind()
    detail.Unpack(message)
    return message


def test_a_bad_field_carries_a_field_violation_after_the_error_info() -> None:
    info, bad = _details(invalid_argument(Reason.EMPTY_CONTENT, "content must contain some text", "content"))
    assert _unpack(info, error_details_pb2.ErrorInfo).reason == "EMPTY_CONTENT"
    violation = _unpack(bad, error_details_pb2.BadRequest).field_violations[0]
    assert (violation.field, violation.description) == ("content", "content must contain some text")


def test_a_limit_carries_quota_failure_and_retry_info() -> None:
    info, quota, retry = _details(resource_exhausted(Reason.USER_RATE_LIMITED, "over the limit", 2.5, "user"))
    assert _unpack(info, error_details_pb2.ErrorInfo).metadata["retry_after_seconds"] == "3"
    assert _unpack(quota, error_details_pb2.QuotaFailure).violations[0].subject == "user"
    delay = _unpack(retry, error_details_pb2.RetryInfo).retry_delay
    assert (delay.seconds, delay.nanos) == (2, 500_000_000)


def test_unavailable_may_say_when_to_retry() -> None:
    assert len(_details(unavailable(Reason.NOT_READY, "warming up"))) == 1
    _, retry = _details(unavailable(Reason.NOT_READY, "warming up", retry_after=1.0))
    assert _unpack(retry, error_details_pb2.RetryInfo).retry_delay.seconds == 1
