"""`make run`: start the whole mesh, wait until every service is SERVING, keep it running, stop it on Ctrl-C/SIGTERM.

A service that dies once the mesh is up is restarted with backoff (supervisor.py) while the rest keep
serving; only one that keeps crashing stops the mesh. A service that dies during start-up stops it at once.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from services.devmesh.processes import ServiceProcess
from services.devmesh.supervisor import CrashPolicy, Supervisor
from services.devmesh.topology import DEFAULT_PORTS, MeshLayout, free_metrics_ports, free_ports

BANNER = """
persona-mesh is up ({count} processes; logs in {logs}).

  HTTP      http://127.0.0.1:{http}/api/v1/chat     (OpenAPI: /docs, OpenAI-compatible: /v1)
  gRPC      127.0.0.1:{grpc}  personamesh.v1.GatewayService (reflection on)
  metrics   http://127.0.0.1:{http}/metrics

Anonymous requests from loopback are allowed in this local run (PM_ALLOW_ANONYMOUS=true).
Calls between the services are signed with a random secret made for this run.
Try:
  curl -s http://127.0.0.1:{http}/api/v1/chat -H 'content-type: application/json' \\
       -d '{{"content": "How do I reverse a list in Python?"}}'

A service that dies is restarted; Ctrl-C stops every process.
"""


class StopRequest:
    """Set from a signal handler; waited on by the main loop.

    Not a threading.Event: its set() takes a lock, and a handler that runs while
    the main thread holds that same lock inside wait() deadlocks the supervisor.
    """

    def __init__(self) -> None:
        self.requested = False

    def request(self, signum: int, frame: object) -> None:
        self.requested = True

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` (a signal cuts it short); True once a stop was requested."""
        deadline = time.monotonic() + timeout
        while not self.requested and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.requested


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data-dir", default="var", help="where the embedding index keeps its data (reused across runs)"
    )
    parser.add_argument("--free-ports", action="store_true", help="take free ports instead of the documented ones")
    parser.add_argument(
        "--max-crashes", type=int, default=5, help="crashes of one service within --crash-window that stop the mesh"
    )
    parser.add_argument("--crash-window", type=float, default=60.0, help="seconds (see --max-crashes)")
    args = parser.parse_args()
    data_dir = Path(args.data_dir).resolve()
    logs = data_dir / "logs"
    ports = free_ports() if args.free_ports else dict(DEFAULT_PORTS)
    layout = MeshLayout(
        data_dir=data_dir,
        ports=ports,
        extra_env={"PM_ALLOW_ANONYMOUS": "true"},
        metrics_ports=free_metrics_ports(ports) if args.free_ports else {},
    )
    stop = StopRequest()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop.request)

    started: list[ServiceProcess] = []
    supervisor: Supervisor | None = None
    try:
        for group in layout.start_order():
            procs = [layout.process(name, logs) for name in group]
            for proc in procs:
                proc.start()
                started.append(proc)
            for proc in procs:
                print(f"  starting {proc.name:<11} {proc.target} (pid {proc.pid}) ...", flush=True)
                if not proc.wait_serving(timeout=180, cancelled=lambda: stop.requested):
                    return 130
        print(BANNER.format(count=len(started), logs=logs, http=ports["gateway-http"], grpc=ports["gateway"]))
        supervisor = Supervisor(
            layout,
            logs,
            started,
            CrashPolicy(max_crashes=args.max_crashes, window_seconds=args.crash_window),
            say=lambda line: print(line, file=sys.stderr, flush=True),
        )
        while not stop.wait(0.2):
            reason = supervisor.tick()
            if reason:
                print(reason, file=sys.stderr, flush=True)
                return 1
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(f"start-up failed: {error}", file=sys.stderr)
        return 1
    finally:
        print("stopping ...", flush=True)
        running = supervisor.running() if supervisor else started
        for proc in reversed(running):
            proc.signal(signal.SIGTERM)
        codes = {proc.name: proc.wait_exit() for proc in reversed(running)}
        print("stopped: " + ", ".join(f"{name}={code}" for name, code in codes.items()), flush=True)


if __name__ == "__main__":
    sys.exit(main())
