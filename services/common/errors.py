"""Canonical gRPC errors with a machine-readable reason (Google AIP-193).

Handlers raise `ServiceError`; the server interceptor turns it into a status
with a `google.rpc.Status` carrying one `ErrorInfo`. Clients read the reason
back with `error_reason`.
"""

from __future__ import annotations

from collections.abc import Mapping

import grpc
from google.protobuf import any_pb2
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
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.metadata = dict(metadata or {})

    def to_status(self) -> grpc.Status:
        info = error_details_pb2.ErrorInfo(reason=self.reason, domain=ERROR_DOMAIN, metadata=self.metadata)
        detail = any_pb2.Any()
        detail.Pack(info)
        status = status_pb2.Status(code=_CODE_NUMBERS[self.code], message=self.message, details=[detail])
        return rpc_status.to_status(status)


_CODE_NUMBERS: dict[grpc.StatusCode, int] = {code: code.value[0] for code in grpc.StatusCode}


def invalid_argument(reason: str, message: str, field: str = "") -> ServiceError:
    """The caller sent something wrong; never retried."""
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, reason, message, {"field": field} if field else None)


def not_found(reason: str, message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.NOT_FOUND, reason, message)


def permission_denied(reason: str, message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.PERMISSION_DENIED, reason, message)


def unavailable(reason: str, message: str) -> ServiceError:
    """A dependency is down; the only code clients retry."""
    return ServiceError(grpc.StatusCode.UNAVAILABLE, reason, message)


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    """The ErrorInfo of a failed call, if the server sent one."""
    try:
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
    except (ValueError, AttributeError):
        return None
    if status is None:
        return None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    return None


def error_reason(error: grpc.RpcError) -> str:
    """The UPPER_SNAKE reason of a failed call, or "" when it has none."""
    info = error_info(error)
    return info.reason if info else ""


__all__ = [
    "ERROR_DOMAIN",
    "ServiceError",
    "code_pb2",
    "error_info",
    "error_reason",
    "invalid_argument",
    "not_found",
    "permission_denied",
    "unavailable",
]
