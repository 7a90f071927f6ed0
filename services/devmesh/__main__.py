"""`make run`: start the whole mesh, wait until every service is SERVING, stop it all on Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from services.devmesh.processes import ServiceProcess
from services.devmesh.topology import DEFAULT_PORTS, MeshLayout

BANNER = """
persona-mesh is up ({count} processes; logs in {logs}).

  HTTP      http://127.0.0.1:{http}/api/v1/chat     (OpenAPI: /docs, OpenAI-compatible: /v1)
  gRPC      127.0.0.1:{grpc}  personamesh.v1.GatewayService (reflection on)
  metrics   http://127.0.0.1:{http}/metrics

Anonymous requests from loopback are allowed in this local run (PM_ALLOW_ANONYMOUS=true).
Try:
  curl -s http://127.0.0.1:{http}/api/v1/chat -H 'content-type: application/json' \\
       -d '{{"content": "How do I reverse a list in Python?"}}'

Ctrl-C stops every process.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data-dir", default="var", help="where the embedding index keeps its data (reused across runs)"
    )
    args = parser.parse_args()
    data_dir = Path(args.data_dir).resolve()
    logs = data_dir / "logs"
    layout = MeshLayout(data_dir=data_dir, extra_env={"PM_ALLOW_ANONYMOUS": "true"})
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    started: list[ServiceProcess] = []
    try:
        for group in layout.start_order():
            procs = [layout.process(name, logs) for name in group]
            for proc in procs:
                proc.start()
                started.append(proc)
            for proc in procs:
                print(f"  starting {proc.name:<11} {proc.target} ...", flush=True)
                proc.wait_serving(timeout=180)
                if stop.is_set():
                    return 130
        print(
            BANNER.format(
                count=len(started), logs=logs, http=DEFAULT_PORTS["gateway-http"], grpc=DEFAULT_PORTS["gateway"]
            )
        )
        while not stop.wait(1.0):
            dead = [p for p in started if not p.alive()]
            if dead:
                print(
                    f"{', '.join(p.name for p in dead)} exited; stopping the mesh ({dead[0].log_hint()})",
                    file=sys.stderr,
                )
                return 1
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(f"start-up failed: {error}", file=sys.stderr)
        return 1
    finally:
        print("stopping ...", flush=True)
        for proc in reversed(started):
            proc.signal(signal.SIGTERM)
        codes = {proc.name: proc.wait_exit() for proc in reversed(started)}
        print("stopped: " + ", ".join(f"{name}={code}" for name, code in codes.items()), flush=True)


if __name__ == "__main__":
    sys.exit(main())
