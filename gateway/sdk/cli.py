"""`persona-mesh`: chat with a running mesh from a terminal (installed by `pip install .`).

    persona-mesh chat "How do I reverse a list in Python?"          # streamed as it is written
    persona-mesh chat --persona abbey --no-stream "I had a rough day"
    persona-mesh route "how do I kill a zombie process"             # who would answer, and why
    persona-mesh personas
    persona-mesh metrics
    persona-mesh feedback REQUEST_ID 0.9 --comment "spot on"

The gateway comes from --url or PM_URL (default http://127.0.0.1:8080), the key from --api-key or PM_API_KEY.
Exit status: 0 on success, 1 when the gateway answered an error (its reason is printed), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TextIO

import httpx

from gateway.sdk.client import DEFAULT_URL, Client
from gateway.sdk.errors import PersonaMeshError


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="persona-mesh", description=__doc__.split("\n\n")[0])
    root.add_argument("--url", default=os.environ.get("PM_URL", DEFAULT_URL), help="gateway base URL")
    root.add_argument("--api-key", default=os.environ.get("PM_API_KEY", ""), help="API key (or PM_API_KEY)")
    root.add_argument("--json", action="store_true", help="print the gateway's JSON instead of text")
    commands = root.add_subparsers(dest="command", required=True)
    chat = commands.add_parser("chat", help="send a message; the answer is streamed")
    chat.add_argument("message")
    chat.add_argument("--persona", help="force a persona (see `personas`); default: Abi routes")
    chat.add_argument("--session", default="", help="session id, to continue a conversation")
    chat.add_argument("--user", default="", help="user id (an API key carries its own)")
    chat.add_argument("--no-stream", action="store_true", help="wait for the whole answer and show who answered")
    route = commands.add_parser("route", help="explain where a message would go, without answering it")
    route.add_argument("message")
    commands.add_parser("personas", help="the personas and their healthy replicas")
    commands.add_parser("metrics", help="requests, errors, latency and satisfaction per persona")
    feedback = commands.add_parser("feedback", help="rate an answer (0..1) by its request id")
    feedback.add_argument("request_id")
    feedback.add_argument("rating", type=float)
    feedback.add_argument("--comment", default="")
    return root


def run(args: argparse.Namespace, out: TextIO) -> None:
    with Client(args.url, args.api_key) as mesh:
        if args.command == "chat":
            if args.no_stream or args.json:
                answer = mesh.chat(args.message, persona=args.persona, session_id=args.session, user_id=args.user)
                if args.json:
                    print(json.dumps(answer.raw, indent=2), file=out)
                    return
                marks = [m for m, on in (("fallback", answer.fallback), ("degraded", answer.degraded)) if on]
                print(f"[{answer.persona}{' · ' + ', '.join(marks) if marks else ''}] {answer.content}", file=out)
                print(f"(request id {answer.request_id})", file=out)
                return
            for piece in mesh.stream(args.message, persona=args.persona, user_id=args.user):
                out.write(piece)
                out.flush()
            out.write("\n")
        elif args.command == "route":
            decision = mesh.route(args.message)
            print(json.dumps(decision.raw, indent=2) if args.json else decision.explain(), file=out)
        elif args.command == "personas":
            personas = mesh.personas()
            if args.json:
                print(json.dumps([p.raw for p in personas], indent=2), file=out)
            for p in [] if args.json else personas:
                print(f"{p.name:<12} {p.status:<10} {p.replicas_healthy}/{p.replicas_total} healthy  "
                      f"{p.description}", file=out)  # fmt: skip
        elif args.command == "metrics":
            print(json.dumps(mesh.metrics(), indent=2), file=out)
        elif args.command == "feedback":
            learned = mesh.feedback(args.request_id, args.rating, args.comment)
            print("recorded" + (" (learning from it)" if learned else ""), file=out)


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = parser().parse_args(argv)
    try:
        run(args, out)
    except PersonaMeshError as error:
        print(f"persona-mesh: {error.reason}: {error.message}", file=sys.stderr)
        return 1
    except httpx.HTTPError as error:
        print(f"persona-mesh: cannot reach the gateway at {args.url}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
