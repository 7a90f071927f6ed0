"""A documentation corpus ingested at image build time, copied into a new data dir at the index's first start.

The container image cannot ingest at run time: its root filesystem is read-only, and the Python docs and man pages
are not installed there (they are only in the image's `corpus` build stage, which runs `python -m
services.embeddings.corpus` into `/opt/pm-corpus`). `PM_CORPUS_SEED_DIR` names that data dir; a data dir with no
store yet (a new volume) starts as a copy of it, as `make run` starts on a data dir the corpus tool ingested into
before the service opened it. A data dir that already has a store keeps it: milvus-lite has one opener, and what the
users stored there must not be replaced. Its corpus is then as old as the image that first filled the volume, which
the index says in its log when the image's corpus differs.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from services.embeddings.settings import EmbeddingsSettings

log = logging.getLogger(__name__)
# Which installed file each ingested page came from, by hash (written by services/embeddings/corpus/build.py).
MANIFEST = "docs-corpus.json"


def seed_from(prebuilt: Path, settings: EmbeddingsSettings) -> bool:
    """Copy the prebuilt store and its manifest into the data dir when it has no store yet; True when copied."""
    source = settings.model_copy(update={"data_dir": prebuilt}).store_dir
    if not source.is_dir():
        log.warning("no prebuilt documentation corpus", extra={"dir": str(prebuilt)})
        return False
    data_dir, target = settings.data_dir, settings.store_dir
    if target.exists() and any(target.iterdir()):
        if _manifest(prebuilt) != _manifest(data_dir):
            log.warning(
                "the data dir's documentation corpus is not this image's; it is kept with the users' data "
                "(`python -m services.embeddings.corpus --target` ingests what changed)",
                extra={"dir": str(data_dir)},
            )
        return False
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target, dirs_exist_ok=True)
    if (prebuilt / MANIFEST).is_file():
        shutil.copyfile(prebuilt / MANIFEST, data_dir / MANIFEST)
    log.info("documentation corpus copied from the image", extra={"dir": str(prebuilt)})
    return True


def _manifest(data_dir: Path) -> str:
    path = data_dir / MANIFEST
    return path.read_text(encoding="utf-8") if path.is_file() else ""
