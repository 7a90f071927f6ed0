"""OpenTelemetry tracing across the mesh: off by default, OTLP export by setting.

`setup_tracing(service)` runs once at process start (services/common/server.py `run_service`, which
every service and the gateway use). With `PM_TRACING=otlp` it installs the SDK's tracer provider with
an OTLP/gRPC exporter (`PM_OTLP_ENDPOINT`) and the official gRPC instrumentation for grpc.aio
servers and clients, which carries the trace context in gRPC metadata (W3C `traceparent`), so one
chat request is one trace: gateway -> abi -> embeddings, gateway -> persona -> embeddings.
The gateway opens the root span of each HTTP request (gateway/telemetry.py).

`PM_TRACING=jsonl` writes each finished span as one JSON line to a file of its own per process in
the directory `PM_TRACE_DIR` (debugging, and the cross-process test: tests/observability/test_tracing.py).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

log = logging.getLogger(__name__)


class TracingSettings(BaseSettings):
    """OpenTelemetry tracing, read by every process."""

    model_config = SettingsConfigDict(env_prefix="PM_", extra="ignore")

    tracing: Literal["off", "otlp", "jsonl"] = Field(
        default="off", description="Tracing: off, otlp (export to PM_OTLP_ENDPOINT), or jsonl (files in PM_TRACE_DIR)."
    )
    otlp_endpoint: str = Field(
        default="http://127.0.0.1:4317", description="OTLP/gRPC collector endpoint when PM_TRACING=otlp."
    )
    trace_dir: str = Field(default="", description="Directory of span files when PM_TRACING=jsonl (one per process).")
    trace_sample_ratio: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="Share of new traces recorded (parent-based: a trace is whole or absent).",
    )


_done = False
_lock = threading.Lock()


def _jsonl_exporter(directory: str, service: str):  # type: ignore[no-untyped-def]
    from opentelemetry.sdk.trace import ReadableSpan
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class JsonLinesExporter(SpanExporter):
        def __init__(self) -> None:
            path = Path(directory)
            path.mkdir(parents=True, exist_ok=True)
            self._file = (path / f"{service}-{os.getpid()}.jsonl").open("a", encoding="utf-8")
            self._lock = threading.Lock()

        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            with self._lock:
                for span in spans:
                    context = span.get_span_context()
                    parent = span.parent
                    record = {
                        "service": service,
                        "name": span.name,
                        "kind": span.kind.name if span.kind is not None else "",
                        "trace_id": f"{context.trace_id:032x}" if context else "",
                        "span_id": f"{context.span_id:016x}" if context else "",
                        "parent_id": f"{parent.span_id:016x}" if parent is not None else "",
                        "start": span.start_time,
                        "end": span.end_time,
                        "status": span.status.status_code.name,
                    }
                    self._file.write(json.dumps(record) + "\n")
                self._file.flush()
            return SpanExportResult.SUCCESS

        def shutdown(self) -> None:
            with self._lock:
                self._file.close()

    return JsonLinesExporter()


def tracing_enabled() -> bool:
    """Whether setup_tracing installed a tracer provider in this process (hot paths skip span work when not)."""
    return _done


def setup_tracing(service: str, settings: TracingSettings | None = None) -> bool:
    """Install tracing for this process when PM_TRACING asks for it; True when it is on."""
    global _done
    settings = settings or TracingSettings()
    if settings.tracing == "off":
        return False
    with _lock:
        if _done:
            return True
        from opentelemetry import trace
        from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient, GrpcAioInstrumentorServer, filters
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

        provider = TracerProvider(
            resource=Resource.create({"service.name": service, "service.namespace": "persona-mesh"}),
            sampler=ParentBased(TraceIdRatioBased(settings.trace_sample_ratio)),
        )
        if settings.tracing == "jsonl":
            if not settings.trace_dir:
                raise ValueError("PM_TRACING=jsonl needs PM_TRACE_DIR")
            provider.add_span_processor(SimpleSpanProcessor(_jsonl_exporter(settings.trace_dir, service)))
        else:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint)))
        trace.set_tracer_provider(provider)
        # Patch grpc.aio.server and grpc.aio.*_channel before any server or channel exists. Health and
        # reflection stay out: they are not part of a request, and the server interceptor cannot wrap the
        # health service's Watch (it writes with context.write instead of yielding).
        untraced = filters.negate(
            filters.any_of(
                filters.service_prefix("grpc.health.v1"),
                filters.service_prefix("grpc.reflection"),
            )
        )
        GrpcAioInstrumentorServer(filter_=untraced).instrument()
        GrpcAioInstrumentorClient(filter_=untraced).instrument()
        _done = True
        log.info("tracing on", extra={"exporter": settings.tracing})
        return True


def shutdown_tracing() -> None:
    """Flush and stop the exporter (at process exit)."""
    if not _done:
        return
    from opentelemetry import trace

    provider = trace.get_tracer_provider()
    shutdown = getattr(provider, "shutdown", None)
    if shutdown is not None:
        shutdown()
