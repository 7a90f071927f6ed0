"""The container image recipe: lint-clean, non-root, and its steps work on this tree.

No Docker engine runs here, so the Dockerfile is parsed with Docker's own parser
(PyPI `dockerfile`, which wraps moby/buildkit's), linted with hadolint, and its
build steps are rehearsed: the COPY lines are replayed through `.dockerignore`
into a temporary root, then the Dockerfile's own RUN commands (protobuf
generation, byte-compiling, the entry-point check) run against it with the image
paths mapped onto temporary directories.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest

from services.embeddings.settings import EmbeddingsSettings
from tests.helm.dockerignore import DockerIgnore
from tests.helm.manifests import Rendered, main_container, module_of, pod_spec
from tests.helm.tools import REPO

DOCKERFILE = REPO / "Dockerfile"
COMMANDS = dockerfile.parse_file(str(DOCKERFILE))
IGNORE = DockerIgnore.load(REPO / ".dockerignore")


def _stages() -> list[list[dockerfile.Command]]:
    stages: list[list[dockerfile.Command]] = []
    for command in COMMANDS:
        if command.cmd == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(command)
    return stages


def _runtime_stage() -> list[dockerfile.Command]:
    return _stages()[-1]


def _one(stage: list[dockerfile.Command], cmd: str) -> dockerfile.Command:
    found = [c for c in stage if c.cmd == cmd]
    assert len(found) == 1, f"expected one {cmd}, found {len(found)}"
    return found[0]


def _env(stage: list[dockerfile.Command]) -> dict[str, str]:
    env: dict[str, str] = {}
    for command in stage:
        if command.cmd == "ENV":
            pairs = command.value
            env.update(dict(zip(pairs[::2], pairs[1::2], strict=True)))
    return env


def _components() -> list[str]:
    (arg,) = [c for c in _runtime_stage() if c.cmd == "ARG" and c.value[0].startswith("COMPONENTS=")]
    return shlex.split(arg.value[0].partition("=")[2])[0].split()


def _run_step(stage: list[dockerfile.Command], marker: str) -> str:
    (step,) = [c.value[0] for c in stage if c.cmd == "RUN" and marker in c.value[0]]
    return str(step)


# ---- lint and shape ----


def test_hadolint_finds_nothing() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_multi_stage_with_one_base_image() -> None:
    stages = _stages()
    assert len(stages) >= 2
    named = {stage[0].value[-1] for stage in stages if len(stage[0].value) == 3}  # FROM <base> AS <name>
    assert {stage[0].value[0] for stage in stages} - named == {"${PYTHON_IMAGE}"}
    (base,) = [c.value[0] for c in COMMANDS if c.cmd == "ARG" and c.value[0].startswith("PYTHON_IMAGE=")]
    assert re.fullmatch(r"PYTHON_IMAGE=python:3\.11[-.\w]*", base), "the lock file is verified on Python 3.11"


def test_runs_as_the_charts_non_root_user(default_chart: Rendered) -> None:
    user = _one(_runtime_stage(), "USER").value[0]
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0, "a numeric non-root USER lets Kubernetes verify runAsNonRoot"
    for workload in default_chart.workloads():
        security = pod_spec(workload)["securityContext"]
        assert (security["runAsUser"], security["runAsGroup"]) == (int(uid), int(gid))


def test_entrypoint_takes_a_module_and_the_chart_runs_the_same_modules(default_chart: Rendered) -> None:
    runtime = _runtime_stage()
    assert list(_one(runtime, "ENTRYPOINT").value) == ["python", "-m"]
    components = _components()
    (default_module,) = _one(runtime, "CMD").value
    assert default_module in components
    assert {module_of(w) for w in default_chart.workloads()} == set(components)
    for workload in default_chart.workloads():
        # The chart's command is the image's ENTRYPOINT plus the module.
        assert main_container(workload)["command"][:2] == ["python", "-m"]


@pytest.mark.parametrize("module", _components())
def test_each_component_module_has_an_entry_point(module: str) -> None:
    """`python -m <module>` needs <module>/__main__.py; find_spec imports the package to find it."""
    spec = importlib.util.find_spec(f"{module}.__main__")
    assert spec is not None and spec.origin is not None, f"python -m {module} would fail: no {module}.__main__"
    assert Path(spec.origin).is_relative_to(REPO)


def test_install_steps_match_the_makefile() -> None:
    """The image installs what `make install` does for the services: the lock file, nothing beside it."""
    install = _run_step(_stages()[0], "pip install")
    assert install.split() == ["pip", "install", "-r", "requirements.lock"]
    makefile = (REPO / "Makefile").read_text()
    steps = makefile.split("$(DEPS_STAMP):", 1)[1].split("\n\n", 1)[0]
    services = [line for line in steps.splitlines() if "pip install" in line and "--no-deps" not in line]
    assert services == ["\t$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock"]


def test_the_models_the_services_read_are_in_the_image() -> None:
    """Model files live under services/, which the runtime stage copies whole."""
    from services.abi.model import MODELS_DIR as ABI_MODELS
    from services.common.encoder import MODELS_DIR as ENCODER_MODELS
    from services.common.knowledge.cross_encoder import MODELS_DIR as KNOWLEDGE_MODELS

    copied = [list(step.value) for step in _runtime_stage() if step.cmd == "COPY"]
    assert ["services/", "services/"] in copied
    for folder in (ABI_MODELS, KNOWLEDGE_MODELS, ENCODER_MODELS):
        assert folder.is_relative_to(REPO / "services") and any(folder.glob("*.onnx")), folder


def test_writable_paths_exist_under_a_read_only_root(default_chart: Rendered) -> None:
    env = _env(_runtime_stage())
    assert env["HOME"] == "/tmp", "libraries that write under $HOME must land on the /tmp emptyDir"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PM_HOST"] == "0.0.0.0"
    (volume,) = _one(_runtime_stage(), "VOLUME").value
    assert volume.strip('[]"') == env["PM_DATA_DIR"] == default_chart.env("embeddings")["PM_DATA_DIR"]


def test_the_image_carries_the_documentation_corpus_an_index_on_a_new_volume_starts_from() -> None:
    """Issue: the image carries the same corpus `make run` ingests, built at image build time (the runtime root is
    read-only and has no docs installed). The corpus stage installs the packages the corpus tool asks apt for, runs
    the tool into a data dir, and the runtime copies that dir and names it PM_CORPUS_SEED_DIR."""
    from services.embeddings.corpus.build import APT_PACKAGES

    (corpus,) = [stage for stage in _stages() if stage[0].value[-1] == "corpus"]
    installed = " ".join(" ".join(c.value) for c in corpus if c.cmd == "RUN" and "apt-get install" in " ".join(c.value))
    assert all(package in installed.split() for package in APT_PACKAGES), installed
    ingest = _run_step(corpus, "services.embeddings.corpus").split()
    seed = ingest[ingest.index("--data-dir") + 1]
    runtime = _runtime_stage()
    assert [seed, seed] in [list(c.value) for c in runtime if c.cmd == "COPY" and c.flags == ("--from=corpus",)]
    assert _env(runtime)["PM_CORPUS_SEED_DIR"] == seed
    assert EmbeddingsSettings.model_fields["corpus_seed_dir"].default is None  # `make run` ingests into its own


# ---- the build context ----


def _copies(stage: list[dockerfile.Command]) -> list[tuple[str, str]]:
    return [(c.value[0], c.value[-1]) for c in stage if c.cmd == "COPY" and not c.flags]


def test_dockerignore_keeps_the_context_small_but_complete() -> None:
    for stage in _stages():
        for source, _ in _copies(stage):
            assert (REPO / source).exists(), f"COPY {source}: missing from the repository"
            assert not IGNORE.excluded(source), f"COPY {source}: excluded by .dockerignore"
    for kept in (
        "requirements.lock",
        "protos/personamesh/v1/persona.proto",
        "services/common/server.py",
        "gateway/settings.py",
    ):
        assert not IGNORE.excluded(kept), kept
    for dropped in (
        ".venv/bin/python",
        "build/gen/personamesh/__init__.py",
        "tests/conftest.py",
        ".git/HEAD",
        "services/common/__pycache__/server.cpython-311.pyc",
        "var/embeddings/lock",
    ):
        assert IGNORE.excluded(dropped), dropped


def _replay_copies(stage: list[dockerfile.Command], root: Path) -> None:
    """COPY <dir>/ <dest>/ from this repository into `root`, leaving out what .dockerignore excludes."""
    for source, dest in _copies(stage):
        src = REPO / source
        files = [src] if src.is_file() else [p for p in src.rglob("*") if p.is_file()]
        for path in files:
            relative = path.relative_to(REPO).as_posix()
            if IGNORE.excluded(relative):
                continue
            target = root / dest / (path.relative_to(src) if src.is_dir() else path.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def _sh(script: str, cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        ["sh", "-ec", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"


def test_build_steps_rehearsed_on_this_tree(tmp_path: Path) -> None:
    """Run the Dockerfile's own protoc, compile and entry-point steps against a copy of the context."""
    build, runtime = _stages()[0], _runtime_stage()
    gen, app = tmp_path / "gen", tmp_path / "app"
    venv_bin = str(Path(sys.executable).parent)
    base_env = {"PATH": f"{venv_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}", "HOME": str(tmp_path)}

    # Build stage: generate protobuf code exactly as the image does, into a temporary /opt/gen.
    context = tmp_path / "src"
    _replay_copies(build, context)
    protoc = _run_step(build, "grpc_tools.protoc").replace("/opt/gen", str(gen))
    _sh(protoc, context, base_env)
    # It produces the same modules `make protos` does (build/gen is that output).
    made = {p.relative_to(REPO / "build" / "gen").as_posix() for p in (REPO / "build" / "gen").rglob("*.py")}
    rehearsed = {p.relative_to(gen).as_posix() for p in gen.rglob("*.py")}
    assert rehearsed == made
    for name in rehearsed:
        assert (gen / name).read_text() == (REPO / "build" / "gen" / name).read_text(), name

    # Runtime stage: the sources as COPY places them, then the compile and entry-point check.
    _replay_copies(runtime, app)
    assert not list(app.rglob("__pycache__")), ".dockerignore must keep bytecode out"
    # The embedding index seeds its knowledge base from docs/ relative to the working directory.
    assert _one(runtime, "WORKDIR").value[0] == "/app"
    docs_dir = EmbeddingsSettings.model_fields["docs_dir"].default
    assert list((app / docs_dir).glob("*.md")), f"{docs_dir}/*.md missing from the image"
    check = _run_step(runtime, "compileall").replace("/opt/gen", str(gen)).replace("/app", str(app))
    # PYTHONPATH comes before site-packages, so the copied tree and generated code win over the repo's.
    env = {**base_env, "PYTHONPATH": f"{app}:{gen}", "COMPONENTS": " ".join(_components())}
    _sh(check, app, env)
    probe = "import services.common.server as s, personamesh.v1.persona_pb2 as p; print(s.__file__); print(p.__file__)"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=app, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    server_file, pb2_file = result.stdout.split()
    assert server_file.startswith(str(app)) and pb2_file.startswith(str(gen))


def test_a_missing_component_fails_the_rehearsed_check(tmp_path: Path) -> None:
    """The entry-point step can fail: a module without __main__ stops the build."""
    check = _run_step(_runtime_stage(), "compileall").replace("/opt/gen", str(tmp_path)).replace("/app", str(tmp_path))
    env = {
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PYTHONPATH": str(REPO),
        "COMPONENTS": "services.common services.no_such_component",
    }
    result = subprocess.run(
        ["sh", "-ec", check], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode != 0
    assert "no entry point: services.common" in result.stderr
