"""`python -m services.common.registry [FILE]`: check a registry file; `--schema` prints its JSON Schema."""

from __future__ import annotations

import argparse
import json
import sys

from services.common.registry import RegistryError, load_registry
from services.common.registry.model import RegistryDocument


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m services.common.registry", description=__doc__)
    parser.add_argument("file", nargs="?", help="registry file (default: PM_PERSONA_REGISTRY or the shipped one)")
    parser.add_argument("--schema", action="store_true", help="print the registry's JSON Schema and exit")
    args = parser.parse_args()
    if args.schema:
        print(json.dumps(RegistryDocument.model_json_schema(), indent=2, sort_keys=True))
        return 0
    try:
        registry = load_registry(args.file)
    except RegistryError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{registry.source}: moderator {registry.moderator}; answering {', '.join(registry.answering)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
