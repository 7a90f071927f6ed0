"""`python -m services.aviva`: one Aviva replica (port from PM_PORT, default 50071)."""

from __future__ import annotations

from services.aviva.logic import AvivaLogic
from services.aviva.settings import AvivaSettings
from services.common.persona import run_persona

if __name__ == "__main__":
    run_persona("aviva", AvivaSettings(), AvivaLogic)
