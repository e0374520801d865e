"""``python -m llm_regressions``: small commands that do not need a pytest session."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m llm_regressions")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("schema", help="print the JSON Schema of case files (format v1)")
    from llm_regressions.report import cli

    cli.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command in ("report", "gate"):
        return cli.run(args)
    if args.command == "schema":
        from llm_regressions.casefile.schema import render_schema

        sys.stdout.write(render_schema())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
