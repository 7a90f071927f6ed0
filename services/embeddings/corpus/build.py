"""Ingest the documentation corpus once, then only what changed (`python -m services.embeddings.corpus`).

The manifest (`<data_dir>/docs-corpus.json`) keeps, per source, a hash of the installed file it came from
and of the parser version; a later run re-reads only files whose hash changed (a Debian package upgrade),
so a start with nothing new costs a second. Documents go straight into the data dir (milvus-lite allows one
opener: `make run` ingests before it starts the service), or through a running embeddings service named by
`--target`. `--install-missing` asks apt for the packages that ship the docs and carries on without them
when apt cannot (no root, no network): the corpus is whatever is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from personamesh.v1 import embedding_index_service_pb2 as pb
from services.common.encoder import MODEL_NAME
from services.embeddings.collections import KNOWLEDGE
from services.embeddings.corpus import manpages, pydocs
from services.embeddings.corpus.prebuilt import MANIFEST
from services.embeddings.filters import quote
from services.embeddings.ingest import ingest_directly, ingest_over_grpc, service_is_serving
from services.embeddings.settings import EmbeddingsSettings
from services.embeddings.store import WriteOp, store_from_settings

APT_PACKAGES = ("python3.11-doc", "git-man", "man-db")


@dataclass(frozen=True)
class Page:
    """One installed file of the corpus and how to turn it into a document."""

    source: str
    file: Path
    load: Callable[[], pb.KnowledgeDocument | None]
    version: str  # of the parser that reads it

    def fingerprint(self) -> str:
        """Changes with the file, the parser and the encoder (a new encoder ingests the page again)."""
        digest = hashlib.sha256(f"{self.version}|{MODEL_NAME}".encode())
        digest.update(self.file.read_bytes())
        return digest.hexdigest()


def install_missing() -> None:
    """apt-get install the documentation packages that are missing; failures only print a note."""
    missing = [name for name in APT_PACKAGES if not Path(f"/usr/share/doc/{name}").exists()]
    if not missing:
        return
    apt = shutil.which("apt-get")
    if apt is None:
        print(f"note: {', '.join(missing)} missing and no apt-get; using the docs that are installed", file=sys.stderr)
        return
    print(f"installing {', '.join(missing)} (Debian packages): the documentation corpus", file=sys.stderr)
    sudo: list[str] = [] if os.geteuid() == 0 else (["sudo", "-n"] if shutil.which("sudo") else [])
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", "--no-install-recommends", *missing]):
        try:
            result = subprocess.run([*sudo, *command], env=env, capture_output=True, timeout=600, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            print(f"note: {' '.join(command[:2])} failed ({error}); using the docs that are installed", file=sys.stderr)
            return
        if result.returncode != 0:
            print(f"note: could not install {', '.join(missing)}; using the docs that are installed", file=sys.stderr)
            return


def pages(python_pages: list[str] | None = None, man_pages: list[str] | None = None) -> list[Page]:
    """Every corpus file installed here, or only the named ones (`library/datetime.html`, `tar`, `git-reset`)."""
    found: list[Page] = []
    root = pydocs.PYTHON_DOCS
    for path in pydocs.pages():
        relative = path.relative_to(root).as_posix()
        if python_pages is None or relative in python_pages:
            found.append(
                Page(f"{pydocs.SOURCE_PREFIX}{relative}", path, partial(pydocs.document, path), pydocs.VERSION)
            )
    for name, section in manpages.available_pages():
        if man_pages is None or name in man_pages:
            file = manpages.MAN_ROOT / f"man{section}" / f"{name}.{section}.gz"
            found.append(
                Page(
                    f"{manpages.SOURCE_PREFIX}{name}.{section}",
                    file,
                    partial(manpages.document, name, section),
                    manpages.VERSION,
                )
            )
    return found


def load_manifest(path: Path) -> dict[str, str]:
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(key): str(value) for key, value in loaded.items()} if isinstance(loaded, dict) else {}


def changed(all_pages: list[Page], manifest: dict[str, str]) -> list[tuple[Page, str]]:
    """The pages whose file (or the parser) changed since the manifest was written, with their new hash."""
    out = []
    for page in all_pages:
        fingerprint = page.fingerprint()
        if manifest.get(page.source) != fingerprint:
            out.append((page, fingerprint))
    return out


def documents(todo: list[tuple[Page, str]]) -> Iterator[pb.KnowledgeDocument]:
    for page, _ in todo:
        document = page.load()
        if document is not None:
            yield document


def ingest(
    settings: EmbeddingsSettings,
    *,
    target: str | None = None,
    python_pages: list[str] | None = None,
    man_pages: list[str] | None = None,
    embed_tokens: int = 48,
) -> dict[str, float]:
    """Ingest what changed; the manifest is written only after the store acknowledged it. Returns figures."""
    started = time.perf_counter()
    manifest_path = settings.data_dir / MANIFEST
    manifest = load_manifest(manifest_path)
    all_pages = pages(python_pages, man_pages)
    todo = changed(all_pages, manifest)
    count = chunks = 0
    gone = sorted(set(manifest) - {page.source for page in all_pages}) if python_pages is None else []
    if gone:  # pages no longer in the corpus (a tool dropped from the list, a package removed)
        asyncio.run(remove_directly(settings, gone))
        for source in gone:
            manifest.pop(source, None)
    if todo:
        if target and service_is_serving(target):
            count, chunks = asyncio.run(ingest_over_grpc(target, documents(todo)))
        else:
            count, chunks = asyncio.run(ingest_directly(settings, documents(todo), embed_tokens))
        manifest.update({page.source: fingerprint for page, fingerprint in todo})
    if todo or gone:
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        manifest_path.write_text(json.dumps(manifest, indent=0, sort_keys=True), encoding="utf-8")
    return {
        "pages": len(all_pages),
        "ingested_pages": count,
        "removed_pages": len(gone),
        "chunks": chunks,
        "seconds": round(time.perf_counter() - started, 1),
    }


async def remove_directly(settings: EmbeddingsSettings, sources: list[str]) -> None:
    """Delete the chunks of `sources` from the data dir's reference collection."""
    store = store_from_settings(settings)
    await store.open()
    try:
        await store.write([WriteOp(KNOWLEDGE, filter=f"source == {quote(source)}") for source in sources])
    finally:
        await store.close()


def store_bytes(settings: EmbeddingsSettings) -> int:
    """Size of the embedding index's data dir on disk."""
    return sum(path.stat().st_size for path in settings.store_dir.rglob("*") if path.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m services.embeddings.corpus",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data-dir", type=Path, default=None, help="the mesh's data dir (default: $PM_DATA_DIR)")
    parser.add_argument(
        "--target", default=None, help="ingest through this running embeddings service (default: into the data dir)"
    )
    parser.add_argument("--install-missing", action="store_true", help="apt-get install missing doc packages first")
    parser.add_argument(
        "--install-only", action="store_true", help="apt-get install missing doc packages, ingest nothing (make test)"
    )
    parser.add_argument("--python", action="append", help="only this page (library/datetime.html); repeatable")
    parser.add_argument("--man", action="append", help="only this man page (tar, git-reset); repeatable")
    parser.add_argument(
        "--embed-tokens",
        type=int,
        default=48,
        help="tokens of each chunk embedded when ingesting directly (default %(default)s: its heading path and"
        " first words, a sixth of the model's cost at 256 on a 2-core machine; BM25 reads the whole chunk)",
    )
    args = parser.parse_args(argv)
    if args.install_only:
        install_missing()
        return 0
    settings = EmbeddingsSettings() if args.data_dir is None else EmbeddingsSettings(data_dir=args.data_dir)
    if args.install_missing:
        install_missing()
    subset = bool(args.python or args.man)
    figures = ingest(
        settings,
        target=args.target,
        python_pages=(args.python or []) if subset else None,
        man_pages=(args.man or []) if subset else None,
        embed_tokens=args.embed_tokens,
    )
    figures["store_mb"] = round(store_bytes(settings) / 2**20, 1)
    print("documentation corpus: " + ", ".join(f"{key} {value}" for key, value in figures.items()))
    return 0
