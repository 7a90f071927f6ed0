"""Canonical gRPC errors with a machine-readable reason (Google AIP-193).

Handlers raise `ServiceError`; the server interceptor turns it into a status
with a `google.rpc.Status` carrying one `ErrorInfo` first (reason from the
catalogue in services/common/reasons.py, domain), then the standard detail a
client can act on: `BadRequest.FieldViolation` for a bad field, `QuotaFailure`
and `RetryInfo` for a limit, `RetryInfo` for a dependency that will be back.
Clients read the reason back with `error_reason`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TypeVar

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

ERROR_DOMAIN = "personamesh.dev"


class ServiceError(Exception):
    """An expected failure with a canonical code and an UPPER_SNAKE reason."""

    def __init__(
        self,
        code: grpc.StatusCode,
        reason: str,
        message: str,
        metadata: Mapping[str, str] | None = None,
        details: Sequence[Message] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.metadata = dict(metadata or {})
        # google.rpc detail messages sent after the ErrorInfo.
        self.details = list(details)

    def to_status(self) -> grpc.Status:
        info = error_details_pb2.ErrorInfo(reason=self.reason, domain=ERROR_DOMAIN, metadata=self.metadata)
        packed = []
        for message in (info, *self.details):
            detail = any_pb2.Any()
            detail.Pack(message)
            packed.append(detail)
        status = status_pb2.Status(code=_CODE_NUMBERS[self.code], message=self.message, details=packed)
        return rpc_status.to_status(status)


DetailT = TypeVar("DetailT", bound=Message)
_CODE_NUMBERS: dict[grpc.StatusCode, int] = {code: code.value[0] for code in grpc.StatusCode}


def retry_info(seconds: float) -> error_details_pb2.RetryInfo:
    """How long a client should wait before it tries again."""
    whole = math.floor(max(0.0, seconds))
    delay = duration_pb2.Duration(seconds=whole, nanos=int((max(0.0, seconds) - whole) * 1e9))
    return error_details_pb2.RetryInfo(retry_delay=delay)


def invalid_argument(reason: str, message: str, field: str = "") -> ServiceError:
    """The caller sent something wrong; never retried. A named field also goes out as a BadRequest violation."""
    if not field:
        return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, reason, message)
    violation = error_details_pb2.BadRequest.FieldViolation(field=field, description=message)
    return ServiceError(
        grpc.StatusCode.INVALID_ARGUMENT,
        reason,
        message,
        {"field": field},
        [error_details_pb2.BadRequest(field_violations=[violation])],
    )


def resource_exhausted(reason: str, message: str, retry_after: float, subject: str = "") -> ServiceError:
    """Over a limit: QuotaFailure says which, RetryInfo when to try again (also in metadata, for HTTP)."""
    quota = error_details_pb2.QuotaFailure(
        violations=[error_details_pb2.QuotaFailure.Violation(subject=subject, description=message)]
    )
    return ServiceError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        reason,
        message,
        {"retry_after_seconds": str(max(1, math.ceil(retry_after)))},
        [quota, retry_info(retry_after)],
    )


def not_found(reason: str, message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.NOT_FOUND, reason, message)


def permission_denied(reason: str, message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.PERMISSION_DENIED, reason, message)


def unavailable(reason: str, message: str, retry_after: float | None = None) -> ServiceError:
    """A dependency is down; the only code clients retry (after `retry_after` seconds, when known)."""
    details = [retry_info(retry_after)] if retry_after is not None else []
    return ServiceError(grpc.StatusCode.UNAVAILABLE, reason, message, details=details)


def error_detail(error: grpc.RpcError, kind: type[DetailT]) -> DetailT | None:
    """The first detail of type `kind` (ErrorInfo, BadRequest, RetryInfo...) of a failed call, if sent."""
    try:
        status = rpc_status.from_call(error)
    except (ValueError, AttributeError):
        return None
    if status is None:
        return None
    for detail in status.details:
        if detail.Is(kind.DESCRIPTOR):
            found = kind()
            detail.Unpack(found)
            return found
    return None


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    """The ErrorInfo of a failed call, if the server sent one."""
    return error_detail(error, error_details_pb2.ErrorInfo)


def error_reason(error: grpc.RpcError) -> str:
    """The UPPER_SNAKE reason of a failed call, or "" when it has none."""
    info = error_info(error)
    return info.reason if info else ""


__all__ = [
    "ERROR_DOMAIN",
    "ServiceError",
    "code_pb2",
    "error_detail",
    "error_info",
    "error_reason",
    "invalid_argument",
    "not_found",
    "permission_denied",
    "resource_exhausted",
    "retry_info",
    "unavailable",
]
