"""Ports handed out to test meshes and `make run --free-ports` cannot be taken by anything else.

milvus-lite's server (inside the embedding index) binds port 0 and took, now and then, a port the
harness had just handed to a persona; another test run on the machine could hand out the same port too.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from services.devmesh.processes import EPHEMERAL_RANGE, free_port, reserve_port
from services.devmesh.topology import MeshLayout, free_metrics_ports, free_ports


def test_handed_out_ports_are_never_what_the_kernel_picks_for_port_zero() -> None:
    low, high = (int(value) for value in Path(EPHEMERAL_RANGE).read_text().split())
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == 50
    assert not [port for port in ports if low <= port <= high]
    held: list[socket.socket] = []
    try:
        for _ in range(300):  # what milvus-lite's server does, many times over
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            held.append(sock)
        assert not {sock.getsockname()[1] for sock in held} & set(ports)
    finally:
        for sock in held:
            sock.close()


def test_another_process_cannot_reserve_a_port_handed_out_here() -> None:
    ports = [free_port() for _ in range(10)]
    code = "import sys; from services.devmesh.processes import reserve_port; "
    code += "print(sum(reserve_port(int(p)) for p in sys.argv[1:]))"
    other = subprocess.run(
        [sys.executable, "-c", code, *map(str, ports)], capture_output=True, text=True, check=True, timeout=60
    )
    assert other.stdout.strip() == "0", other.stdout + other.stderr


def test_a_free_port_mesh_gives_each_service_a_reserved_metrics_port_of_its_own(tmp_path: Path) -> None:
    """CI once put the index on 16215 and abbey-2 on 17215: the index's Prometheus server (gRPC port + 1000
    by default) took abbey-2's port and abbey-2 could not start. Free-port meshes name every metrics port."""
    ports = free_ports()
    ports["abbey-2"] = ports["embeddings"] + 1000  # that run's layout
    layout = MeshLayout(data_dir=tmp_path, ports=ports, metrics_ports=free_metrics_ports(ports))
    metrics = {}
    for name in ports:
        if name == "gateway-http":
            continue
        env = layout.process(name).env
        metrics[name] = int(env.get("PM_METRICS_PORT", ports[name] + 1000))
    served = {name: port for name, port in metrics.items() if port > 0}
    assert set(served) == set(ports) - {"gateway", "gateway-http"}  # the gateway serves /metrics on its HTTP port
    assert len(set(served.values())) == len(served)
    assert not set(served.values()) & set(ports.values()), (served, ports)
    assert not [port for port in served.values() if reserve_port(port)]  # nobody else can hand them out
