"""``logship pull``: download log events from CloudWatch Logs into a dump for ``replay``.

The engine (queries, the resumable state, the dump writer, the page loop) is
:mod:`logship.pull`; this module parses the command line, makes the reader and
prints. See that module for the output format and how resuming works.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from logship._time import iso
from logship.cloudwatch import LogsReader, make_client
from logship.exceptions import LogshipError, LogsReadError, PullError
from logship.pull import (
    DOCUMENT_END,
    DumpWriter,
    FetchPages,
    build_query,
    load_state,
    paginated,
    parse_duration,
    parse_time,
    pull,
    save_state,
    state_path_for,
)
from logship.records.tools import PullState, Query

from ._progress import Progress, human_bytes

__all__ = [
    "DOCUMENT_END",
    "DumpWriter",
    "FetchPages",
    "PullError",
    "PullState",
    "Query",
    "build_query",
    "command",
    "parse_duration",
    "parse_time",
    "register",
    "state_path_for",
]

EPILOG = """\
examples:
  logship pull --log-group /ecs/order-service --since 2h -o dump.json.gz
  logship pull --log-group /ecs/order-service --log-group /ecs/payment-service \\
      --start 2024-05-01T08:00Z --end 2024-05-01T10:00Z --filter-pattern '?ERROR ?Exception' \\
      --profile prod --region eu-west-1 -o dump.json.gz
  logship pull -o dump.json.gz --resume      # continue an interrupted pull
  logship replay dump.json.gz                # then see what logship would send

Times: ISO 8601 (2024-05-01, 2024-05-01T08:00Z, naive means UTC), milliseconds
since the epoch, or a duration ago (30m, 2h, 1d12h, 1w).
"""


class _Drawn:
    """:class:`logship.pull.PullProgress` drawn on a :class:`Progress` line."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def group(self, log_group: str, index: int, total: int) -> None:
        self.progress.label = f"pull {log_group} ({index + 1}/{total})"

    def page(self, events: int, offset: int, last_timestamp: int | None) -> None:
        reached = (
            f"  up to {iso(last_timestamp, timespec='seconds')}"
            if last_timestamp is not None
            else ""
        )
        self.progress.advance(events, detail=human_bytes(offset) + reached)


# --- the command ------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "pull",
        help="download log events from CloudWatch Logs into a dump (resumable)",
        description=(
            "Download the events of one or more log groups with filter-log-events into a "
            "dump that replay, report and explain read (one filter-log-events document per "
            "log group; .gz to compress). After each page the position is saved next to the "
            "output, so an interrupted pull continues with --resume."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--log-group",
        dest="log_groups",
        action="append",
        default=[],
        metavar="GROUP",
        help="a log group to pull (repeat for several)",
    )
    window = parser.add_mutually_exclusive_group()
    window.add_argument("--since", metavar="DURATION", help="pull the last DURATION (2h, 1d)")
    window.add_argument("--start", metavar="TIME", help="pull from TIME (see below)")
    parser.add_argument("--end", metavar="TIME", help="pull up to TIME (default: now)")
    parser.add_argument(
        "--filter-pattern",
        default="",
        metavar="PATTERN",
        help="a CloudWatch filter pattern, e.g. '?ERROR ?Exception' (default: every event)",
    )
    parser.add_argument("--profile", help="the AWS profile to use")
    parser.add_argument("--region", help="the AWS region of the log groups")
    parser.add_argument("--endpoint-url", metavar="URL", help="another CloudWatch Logs endpoint")
    parser.add_argument(
        "--page-size", type=int, metavar="N", help="events per request (default: AWS's, 10,000)"
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the dump to write (.gz compresses)"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the interrupted pull into FILE (its log groups and times are kept)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    parser.set_defaults(func=command)


@dataclass(slots=True)
class _Run:
    """The state of the command while it runs, for the summary whatever happens."""

    output: Path
    state_path: Path
    state: PullState
    error: str = ""
    interrupted: bool = False


def command(args: argparse.Namespace) -> int:
    from ._exit import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE

    output = Path(args.output)
    state_path = state_path_for(output)
    try:
        state = _starting_state(args, output, state_path)
        reader = _reader(args)
    except (PullError, _AwsSetupError) as exc:
        print(f"logship: pull: {exc}", file=sys.stderr)
        return EXIT_USAGE
    run = _Run(output, state_path, state)
    failures: tuple[type[Exception], ...] = (LogsReadError, *_aws_errors(), OSError)
    try:
        with _open_output(output, state) as file, Progress("pull") as progress:
            writer = DumpWriter(file, compress=output.name.endswith(".gz"))
            run.state = pull(
                paginated(reader, args.page_size),
                state,
                writer,
                lambda saved: _checkpoint(run, saved),
                _Drawn(progress),
            )
    except KeyboardInterrupt:
        run.interrupted = True
    except failures as exc:
        run.error = _describe_error(exc)
    _finish(run)
    _write_summary(run, args.json)
    if run.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILURE if run.error else EXIT_OK


def _starting_state(args: argparse.Namespace, output: Path, state_path: Path) -> PullState:
    if args.page_size is not None and not 1 <= args.page_size <= 10_000:
        raise PullError("--page-size must be between 1 and 10000")
    if not args.resume:
        if state_path.exists():
            raise PullError(
                f"an interrupted pull left {state_path}: add --resume to continue it, "
                "or delete it to start over"
            )
        query = build_query(
            args.log_groups,
            since=args.since,
            start=args.start,
            end=args.end,
            filter_pattern=args.filter_pattern,
            now_ms=int(time.time() * 1000),
        )
        return PullState(query, group_events=(0,) * len(query.log_groups))
    if not state_path.exists():
        raise PullError(f"nothing to resume: {state_path} does not exist")
    state = load_state(state_path)
    asked = tuple(dict.fromkeys(args.log_groups))
    if asked and asked != state.query.log_groups:
        raise PullError(
            f"{state_path} pulls {', '.join(state.query.log_groups)}; resume it without "
            "--log-group or with the same ones"
        )
    if args.filter_pattern and args.filter_pattern != state.query.filter_pattern:
        raise PullError(f"{state_path} was started with another --filter-pattern")
    try:
        size = output.stat().st_size
    except OSError as exc:
        raise PullError(f"cannot resume: {output}: {exc.strerror or exc}") from exc
    if size < state.offset:
        raise PullError(
            f"cannot resume: {output} is shorter ({size} bytes) than when it was "
            f"interrupted ({state.offset}); delete {state_path} to start over"
        )
    return state


class _AwsSetupError(LogshipError, ValueError):
    """No region, an unknown profile: the command line or the AWS config is wrong."""


def _reader(args: argparse.Namespace) -> LogsReader:
    """The pull's reader; its client is made now, so a bad profile or region is a usage error.

    filter-log-events is throttled at a few requests per second per account: the
    reader backs off and retries (logship.cloudwatch).
    """
    try:
        client = make_client(
            args.region or "", profile=args.profile, endpoint_url=args.endpoint_url
        )
    except _aws_errors() as exc:
        hint = " (pass --region or set AWS_REGION)" if "region" in str(exc).lower() else ""
        raise _AwsSetupError(f"{exc}{hint}") from exc
    return LogsReader(client=client)


class _open_output:
    """The output, opened to write from the state's offset (cut back to it on resume)."""

    def __init__(self, output: Path, state: PullState) -> None:
        self.output = output
        self.state = state
        self.file: IO[bytes] | None = None

    def __enter__(self) -> IO[bytes]:
        if self.state.offset == 0 and not self.state.pages:
            self.file = open(self.output, "wb")
        else:
            self.file = open(self.output, "r+b")
            self.file.truncate(self.state.offset)
            self.file.seek(self.state.offset)
        return self.file

    def __exit__(self, *exc_info: object) -> None:
        if self.file is not None:
            self.file.close()


def _checkpoint(run: _Run, state: PullState) -> None:
    run.state = state
    save_state(run.state_path, state)


def _aws_errors() -> tuple[type[Exception], ...]:
    exceptions = importlib.import_module("botocore.exceptions")
    return (exceptions.BotoCoreError, exceptions.ClientError)


def _describe_error(exc: BaseException) -> str:
    if isinstance(exc, LogsReadError):
        return str(exc).partition(": ")[2]  # "Code: message", without the operation
    response = getattr(exc, "response", None)  # a botocore ClientError
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', exc)}"
    if isinstance(exc, OSError):
        return f"{exc.filename or 'output'}: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"


def _finish(run: _Run) -> None:
    """Keep the state of an unfinished pull, drop it once the pull is complete.

    A pull that failed before writing anything (bad credentials, a typo in the
    log group) leaves nothing behind, so it can simply be run again.
    """
    state = run.state
    if state.complete:
        run.state_path.unlink(missing_ok=True)
    elif state.pages == 0:
        run.state_path.unlink(missing_ok=True)
        run.output.unlink(missing_ok=True)
    else:
        save_state(run.state_path, state)


def summary_json(run: _Run) -> dict[str, object]:
    """What ``pull --json`` prints."""
    state = run.state
    kept = not state.complete and state.pages > 0
    return {
        "output": str(run.output),
        "complete": state.complete,
        "interrupted": run.interrupted,
        "error": run.error or None,
        "events": state.events,
        "pages": state.pages,
        "bytes": state.offset,
        "start": iso(state.query.start, timespec="seconds"),
        "end": iso(state.query.end, timespec="seconds"),
        "filter_pattern": state.query.filter_pattern or None,
        "log_groups": [
            {"log_group": group, "events": count}
            for group, count in zip(state.query.log_groups, state.group_events, strict=True)
        ],
        "state_file": str(run.state_path) if kept else None,
    }


def _write_summary(run: _Run, as_json: bool) -> None:
    from ._style import Style

    state = run.state
    if as_json:
        print(json.dumps(summary_json(run)))
    else:
        style = Style.for_stream(sys.stdout)
        groups = state.query.log_groups
        print(
            f"{run.output}: {state.events:,} events from {len(groups)} log group(s) "
            f"({human_bytes(state.offset)}), "
            f"{iso(state.query.start, timespec='seconds')} .. "
            f"{iso(state.query.end, timespec='seconds')}"
        )
        width = max(len(group) for group in groups)
        for group, count in zip(groups, state.group_events, strict=True):
            print(f"  {group.ljust(width)}  {count:>9,} events")
        if state.complete:
            print(style(f"next: logship replay {run.output}", "dim"))
    if run.error:
        print(f"logship: pull: {run.error}", file=sys.stderr)
    if not state.complete:
        stopped = "interrupted" if run.interrupted else "stopped"
        if state.pages:
            print(
                f"logship: pull {stopped} after {state.events:,} events; run it again "
                f"with --resume to continue (position saved in {run.state_path})",
                file=sys.stderr,
            )
        else:
            print(f"logship: pull {stopped} before any page was written", file=sys.stderr)
