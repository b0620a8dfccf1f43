"""The ``logship`` command line: one module per subcommand.

Each subcommand module exposes ``register(subparsers)``, which adds its parser
and sets ``func`` to a callable taking the parsed arguments and returning the
exit status. Rendering packages are imported inside the commands, so importing
this package stays cheap.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from logship.cli import check_config, coverage, explain, pull, replay, report
from logship.cli._exit import (
    EXIT_FAILURE,
    EXIT_INPUT_PROBLEMS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
)

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INPUT_PROBLEMS",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "main",
]

SUBCOMMANDS = (replay, check_config, explain, pull, report, coverage)

EPILOG = f"""\
examples:
  logship pull --log-group /ecs/order-service --since 2h -o dump.json.gz
  logship replay dump.json.gz --config logship.toml
  logship report dump.json.gz --config logship.toml -o report.html
  logship coverage --region eu-west-1      # which active log groups nothing ships
  logship COMMAND --help

exit statuses: {EXIT_OK} ok, {EXIT_FAILURE} failure, {EXIT_USAGE} usage or config error, \
{EXIT_INPUT_PROBLEMS} some input unreadable, {EXIT_INTERRUPTED} interrupted (Ctrl-C)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="logship",
        description="Turn microservice error logs into well-grouped Sentry issues.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.func(args)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `logship replay --json | head` closes our stdout early; that is fine.
        sys.stderr.close()
        return EXIT_OK
    return status
