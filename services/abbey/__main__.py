"""`python -m services.abbey`: one Abbey replica (port from PM_PORT, default 50061)."""

from __future__ import annotations

from services.abbey.logic import AbbeyLogic
from services.abbey.settings import AbbeySettings
from services.common.persona import run_persona

if __name__ == "__main__":
    run_persona("abbey", AbbeySettings(), AbbeyLogic)
