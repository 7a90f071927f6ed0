"""HTTP errors: every failure answers `{"error": {code, message, request_id, ...}}`.

`code` is the canonical gRPC code name (the same across HTTP and gRPC) and
`reason` the UPPER_SNAKE reason; 429s carry `Retry-After`. Under `/v1/` (the
OpenAI-compatible API) the same error speaks OpenAI's dialect, which its clients
parse: `{"error": {message, type, param, code}}` with OpenAI's types and the
reason, lower-cased, as `code` (`model_not_found`); `reason` and `request_id` stay.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway import telemetry, text
from gateway.pipeline.ratelimits import RateLimited
from services.common import context as ctx
from services.common.errors import ServiceError
from services.common.reasons import Reason

log = logging.getLogger(__name__)

HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}
_HTTP_CODE_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                    405: "UNIMPLEMENTED", 413: "INVALID_ARGUMENT", 415: "INVALID_ARGUMENT"}  # fmt: skip


# OpenAI's error types by HTTP status (openai-python maps the status to its exception class).
_OPENAI_TYPES = {401: "authentication_error", 403: "permission_error", 404: "invalid_request_error",
                 429: "rate_limit_error"}  # fmt: skip


def openai_error_body(status: int, reason: str, message: str, field: str = "") -> dict[str, Any]:
    kind = _OPENAI_TYPES.get(status, "invalid_request_error" if status < 500 else "api_error")
    return {
        "error": {
            "message": message,
            "type": kind,
            "param": field or None,
            "code": reason.lower(),
            "reason": reason,
            "request_id": ctx.request_id_var.get(),
        }
    }


def _respond(
    request: Request, status: int, code: str, reason: str, message: str, field: str = "", **kwargs: Any
) -> JSONResponse:
    """One error response: the mesh's envelope, or OpenAI's under /v1/."""
    telemetry.rejected(status, reason)
    if request.url.path.startswith("/v1/"):
        body = openai_error_body(status, reason, message, field)
    else:
        body = error_body(code, reason, message, **({"field": field} if field else {}))
    return JSONResponse(body, status_code=status, **kwargs)


def error_body(code: str, reason: str, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "reason": reason,
            "message": message,
            "request_id": ctx.request_id_var.get(),
            "type": code.lower(),
            **extra,
        }
    }


class ErrorDetail(BaseModel):
    """The mesh's error (error_body builds it)."""

    code: str = Field(description="Canonical gRPC code name: INVALID_ARGUMENT, UNAUTHENTICATED, UNAVAILABLE, ...")
    reason: str = Field(description="UPPER_SNAKE reason from the catalogue (services/common/reasons.py).")
    message: str
    request_id: str
    type: str = Field(description="`code`, lower case.")
    field: str | None = Field(default=None, description="The field at fault, as a dotted path, when there is one.")
    retry_after: int | None = Field(default=None, description="Seconds to wait (WebSocket rate limits).")


class ErrorEnvelope(BaseModel):
    error: ErrorDetail


class OpenAIErrorDetail(BaseModel):
    """OpenAI's error object (openai_error_body builds it), plus the mesh's reason and request id."""

    message: str
    type: str = Field(description="invalid_request_error, authentication_error, permission_error, rate_limit_error...")
    param: str | None = Field(description="The request field at fault, or null.")
    code: str = Field(description="The reason, lower case: model_not_found, unsupported_parameter, ...")
    reason: str
    request_id: str


class OpenAIErrorEnvelope(BaseModel):
    error: OpenAIErrorDetail


_STATUS_DESCRIPTIONS = {
    400: "Bad input: the reason and `field` say what and where",
    401: "No API key, or one the gateway does not know",
    403: "The key's role may not do this",
    404: "Not found (an unknown persona, model, request id or replica)",
    409: "A conflict (the rule set changed since it was read)",
    413: "Body over PM_MAX_BODY_BYTES",
    429: "Over a rate limit or persona capacity; wait Retry-After seconds",
    503: "No persona could answer (or a service the call needs is down)",
}


def error_responses(*statuses: int, openai: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, with the envelope they answer (OpenAI's under /v1/)."""
    model = OpenAIErrorEnvelope if openai else ErrorEnvelope
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {"model": model, "description": _STATUS_DESCRIPTIONS[status]}
        if status == 429:
            response["headers"] = {
                "Retry-After": {"description": "Seconds before a retry may succeed.", "schema": {"type": "integer"}}
            }
        responses[status] = response
    return responses


def service_error_response(error: ServiceError, request: Request) -> JSONResponse:
    status = HTTP_STATUS.get(error.code, 500)
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    field = error.metadata.get("field", "")
    return _respond(request, status, error.code.name, error.reason, error.message, field, headers=headers)


_HTTP_REASONS = {404: Reason.NOT_FOUND, 405: Reason.METHOD_NOT_ALLOWED, 413: Reason.BODY_TOO_LARGE}


def _validation_reason(errors: list[dict[str, Any]]) -> tuple[Reason, str, str]:
    first = errors[0] if errors else {}
    kind = str(first.get("type", ""))
    location = [str(part) for part in first.get("loc", ()) if part != "body"]
    field = ".".join(location)
    if kind == "invalid_utf8":
        field = str((first.get("ctx") or {}).get("field", ""))
        return text.REASON, f"{field} is not valid UTF-8 text (a lone surrogate or undecodable bytes)", field
    if kind in ("json_invalid", "json_type"):
        return Reason.INVALID_JSON, f"the body is not valid JSON: {first.get('msg', '')}", ""
    if kind == "missing":
        return Reason.MISSING_FIELD, f"{field or 'body'} is required", field
    if kind.endswith(("_type", "_parsing")):
        return Reason.WRONG_TYPE, f"{field or 'body'}: {first.get('msg', 'wrong type')}", field
    if kind == "extra_forbidden":
        return Reason.UNKNOWN_FIELD, f"unknown field {field!r}", field
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return Reason.OUT_OF_RANGE, f"{field}: {first.get('msg', 'out of range')}", field
    if kind in ("string_too_long", "too_long"):
        return Reason.TOO_LONG, f"{field}: {first.get('msg', 'too long')}", field
    if kind == "literal_error" or kind == "enum":
        return Reason.UNKNOWN_VALUE, f"{field}: {first.get('msg', 'unknown value')}", field
    return Reason.INVALID_REQUEST, f"{field or 'body'}: {first.get('msg', 'invalid')}", field


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def on_service_error(request: Request, error: ServiceError) -> JSONResponse:
        return service_error_response(error, request)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        reason, message, field = _validation_reason(list(error.errors()))
        return _respond(request, 400, "INVALID_ARGUMENT", reason, message, field)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODE_NAMES.get(error.status_code, "UNKNOWN")
        reason: str = _HTTP_REASONS.get(error.status_code, Reason.HTTP_ERROR)
        message = str(error.detail)
        field = ""
        if error.status_code == 400:  # FastAPI's only 400: a body it could not decode
            reason, message = Reason.INVALID_JSON, "the body is not valid JSON"
            cause = error.__cause__
            if isinstance(cause, UnicodeDecodeError):
                field = text.undecodable_json_field(bytes(cause.object)) or "body"
                bad = text.invalid_utf8(field)
                reason, message, field = bad.reason, bad.message, bad.metadata["field"]
        return _respond(request, error.status_code, code, reason, message, field, headers=error.headers)

    @app.exception_handler(grpc.RpcError)
    async def on_rpc_error(request: Request, error: grpc.RpcError) -> JSONResponse:
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        status = HTTP_STATUS.get(code, 502)
        return _respond(request, status, code.name, Reason.UPSTREAM_ERROR, error.details() or "")

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return _respond(request, 500, "INTERNAL", Reason.INTERNAL, "internal error; see the gateway log")


def json_error_bytes(code: str, reason: str, message: str) -> bytes:
    return json.dumps(error_body(code, reason, message)).encode()
