"""`pyengine` command line: one dispatcher, one module per command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pyengine import __version__, commands
from pyengine.recorded import replay, serve


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (one sub-command per module)."""
    parser = argparse.ArgumentParser(
        prog="pyengine", description="Hedging engine for a delta-neutral synthetic dollar."
    )
    parser.add_argument("--version", action="version", version=f"pyengine {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_run_parser(sub)
    commands.add_status_parser(sub)
    commands.add_explain_parser(sub)
    commands.add_child_parser(sub)
    replay.add_parser(sub)
    serve.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
