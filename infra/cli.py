"""`caseway`: the ops command line."""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="caseway", description="Caseway helpdesk operations")
    sub = parser.add_subparsers(dest="command", required=True)
    local = sub.add_parser("local", help="run the whole helpdesk locally on emulated AWS, with demo data")
    local.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    if args.command == "local":
        from infra.local import run

        run(args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
