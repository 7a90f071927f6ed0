"""Where the shared data lives, and reading JSON lines: services/common/shared_data.py, named here too for the
training code and tests that read them beside Abi's fixtures."""

from __future__ import annotations

from services.common.shared_data import SHARED, read_jsonl

__all__ = ["SHARED", "read_jsonl"]
