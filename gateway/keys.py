"""CLI: make a new API key and print the hashed entry to configure.

python -m gateway.keys --user alice --role admin
python -m gateway.keys --user alice --role user --key EXISTING_KEY
"""

from __future__ import annotations

import argparse
import sys

from gateway.auth import ROLES, key_entry, new_key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.keys", description=__doc__.splitlines()[0])
    parser.add_argument("--user", required=True, help="user id the key stands for")
    parser.add_argument("--role", choices=ROLES, default="user")
    parser.add_argument("--key", help="hash this key instead of making a new one")
    args = parser.parse_args(argv)
    if ":" in args.user or "," in args.user:
        parser.error("user may not contain ':' or ','")
    key = args.key or new_key()
    print(f"key:   {key}")
    print(f"entry: {key_entry(key, args.user, args.role)}")
    print("Give the key to the user; put the entry in PM_API_KEYS (comma-separated) or PM_API_KEYS_FILE.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
