"""`helm test`: every component answers grpc.health.v1 SERVING and the gateway's HTTP side is ready.

Runs inside the persona-mesh image (grpcio and grpcio-health-checking are there).
PM_CHECK_TARGETS is "name=host:port,..." and PM_CHECK_HTTP the gateway's /readyz URL.
Exit status 0 only when everything answers.
"""

from __future__ import annotations

import os
import sys
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def grpc_serving(target: str) -> str:
    try:
        with grpc.insecure_channel(target) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    except grpc.RpcError as error:
        return f"unreachable ({error.code().name})"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


def http_ready(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return "SERVING" if response.status == 200 else f"HTTP {response.status}"
    except OSError as error:
        return f"unreachable ({error})"


def main() -> int:
    results = {}
    for item in os.environ["PM_CHECK_TARGETS"].split(","):
        name, _, target = item.partition("=")
        results[f"{name} {target}"] = grpc_serving(target)
    if os.environ.get("PM_CHECK_HTTP"):
        results[f"gateway-http {os.environ['PM_CHECK_HTTP']}"] = http_ready(os.environ["PM_CHECK_HTTP"])
    for what, status in results.items():
        print(f"{what}: {status}", flush=True)
    return 0 if all(status == "SERVING" for status in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
