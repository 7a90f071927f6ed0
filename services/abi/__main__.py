"""`python -m services.abi`: the moderation and routing service."""

from __future__ import annotations

from services.abi.servicer import SERVICE_NAME, AbiServicer
from services.abi.settings import AbiSettings
from services.common.server import ServiceSpec, run_service


def main() -> None:
    settings = AbiSettings()  # every field has a default; read from PM_* env

    def build() -> ServiceSpec:
        servicer = AbiServicer(settings)
        return ServiceSpec(
            name="abi",
            service_names=[SERVICE_NAME],
            register=servicer.register,
            warmup=servicer.warmup,
            close=servicer.close,
        )

    run_service("abi", build, settings)


if __name__ == "__main__":
    main()
