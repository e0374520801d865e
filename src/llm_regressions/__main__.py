"""``python -m llm_regressions``: small commands that do not need a pytest session."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m llm_regressions")
    commands = parser.add_subparsers(dest="command", required=True)
    schema = commands.add_parser("schema", help="print the JSON Schema of case files (format v1)")
    schema.add_argument(
        "--monitors", action="store_true", help="print the schema of monitors.yaml instead"
    )
    from llm_regressions.report import cli

    cli.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command in ("report", "gate"):
        return cli.run(args)
    if args.command == "schema":
        from llm_regressions.casefile.schema import render_schema
        from llm_regressions.monitor.schema import build_monitor_schema

        sys.stdout.write(render_schema(build_monitor_schema() if args.monitors else None))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
