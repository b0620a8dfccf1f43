"""``logship pull``: download log events from CloudWatch Logs into a dump for ``replay``.

The output is what ``aws logs filter-log-events --output json`` prints, one
document per log group, concatenated::

    {
    "logGroupName": "/ecs/order-service",
    "events": [
    {"logStreamName": "...", "timestamp": 1714557600000, "message": "...", ...},
    ...
    ]}

``logship.decode.from_path`` reads such a file as it streams (the log group of
each document goes to its events), so ``logship replay dump.json.gz`` and
``logship report`` read it back without ``--log-group``.

Pulling is resumable. After each page the position (the log group, the
``nextToken`` of the next page, the output size) is saved in a small state file
next to the output. Each page is written as one piece, for ``.gz`` one gzip
member (a gzip file may hold several), so on ``--resume`` the output is cut
back to the last saved size and pulling continues from that token: nothing is
lost or written twice, whether the pull stopped on Ctrl-C, an AWS error or a
killed process.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from logship.exceptions import LogshipError

from ._progress import Progress, human_bytes

# boto3 and botocore are imported by name inside the command, so importing this
# module stays cheap and mypy passes with or without boto3-stubs installed.
Client = Any

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

STATE_VERSION = 1
_DURATION = re.compile(r"(?:\d+[smhdw])+")
_DURATION_PART = re.compile(r"(\d+)([smhdw])")
_UNIT_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


class PullError(LogshipError, ValueError):
    """A pull cannot start: bad times, or a state file that does not fit the output."""


# --- times ---------------------------------------------------------------------------


def parse_duration(text: str) -> int:
    """``"2h"``, ``"1d12h"``, ``"90s"`` -> milliseconds."""
    compact = text.strip().lower().replace(" ", "")
    if not _DURATION.fullmatch(compact):
        raise PullError(f"{text!r} is not a duration such as 30m, 2h, 1d12h or 1w")
    return sum(int(n) * _UNIT_MS[unit] for n, unit in _DURATION_PART.findall(compact))


def parse_time(text: str, now_ms: int) -> int:
    """An ISO 8601 time, epoch milliseconds, or a duration before ``now_ms``, in ms."""
    stripped = text.strip()
    if stripped.isdigit():
        return int(stripped)
    if _DURATION.fullmatch(stripped.lower()):
        return now_ms - parse_duration(stripped)
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise PullError(
            f"{text!r} is not a time: use ISO 8601 (2024-05-01T08:00Z), epoch "
            "milliseconds or a duration ago (2h)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # CloudWatch shows UTC; so do we
    return (moment - _EPOCH) // _MILLISECOND


def iso(timestamp_ms: int) -> str:
    """``2024-05-01T08:00:00Z``: a time for messages and JSON."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


# --- what to pull, and how far it got --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    """What one pull asks CloudWatch for. Times are fixed when the pull starts."""

    log_groups: tuple[str, ...]
    start: int  # ms since the epoch, inclusive
    end: int  # ms since the epoch, inclusive (CloudWatch's endTime)
    filter_pattern: str = ""


def build_query(
    log_groups: Iterable[str],
    *,
    since: str | None,
    start: str | None,
    end: str | None,
    filter_pattern: str,
    now_ms: int,
) -> Query:
    """Resolve the command line's times against ``now_ms``; raises :class:`PullError`."""
    groups = tuple(dict.fromkeys(log_groups))  # a group named twice is pulled once
    if not groups:
        raise PullError("give at least one --log-group")
    if since is not None:
        if end is not None:
            raise PullError("--since pulls up to now; use --start and --end for a window")
        window = parse_duration(since)
        begin, finish = now_ms - window, now_ms
    elif start is not None:
        begin = parse_time(start, now_ms)
        finish = parse_time(end, now_ms) if end is not None else now_ms
    else:
        raise PullError("give --since DURATION or --start TIME (and optionally --end TIME)")
    if begin >= finish:
        raise PullError(f"the start {iso(begin)} is not before the end {iso(finish)}")
    return Query(groups, begin, finish, filter_pattern)


@dataclass(frozen=True, slots=True)
class PullState:
    """How far a pull got: enough to continue it exactly where it stopped.

    ``offset`` is the size of the output once the last complete page was
    written; ``next_token`` fetches the page after it. ``document_open`` says
    the current group's document was begun (its first page is written).
    """

    query: Query
    group_index: int = 0
    next_token: str | None = None
    document_open: bool = False
    offset: int = 0
    pages: int = 0
    group_events: tuple[int, ...] = field(default=())

    @property
    def events(self) -> int:
        return sum(self.group_events)

    @property
    def complete(self) -> bool:
        return self.group_index >= len(self.query.log_groups)

    def as_json(self) -> dict[str, object]:
        return {
            "version": STATE_VERSION,
            "log_groups": list(self.query.log_groups),
            "start": self.query.start,
            "end": self.query.end,
            "filter_pattern": self.query.filter_pattern,
            "group_index": self.group_index,
            "next_token": self.next_token,
            "document_open": self.document_open,
            "offset": self.offset,
            "pages": self.pages,
            "group_events": list(self.group_events),
        }

    @classmethod
    def from_json(cls, value: object, where: str) -> PullState:
        """Read a saved state; raises :class:`PullError` naming ``where`` if it is damaged."""
        try:
            if not isinstance(value, dict) or value.get("version") != STATE_VERSION:
                raise TypeError("not a logship pull state (version 1)")
            query = Query(
                tuple(_strings(value["log_groups"])),
                int(value["start"]),
                int(value["end"]),
                str(value["filter_pattern"]),
            )
            token = value["next_token"]
            state = cls(
                query,
                group_index=int(value["group_index"]),
                next_token=token if isinstance(token, str) else None,
                document_open=bool(value["document_open"]),
                offset=int(value["offset"]),
                pages=int(value["pages"]),
                group_events=tuple(int(n) for n in value["group_events"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PullError(
                f"{where}: damaged state file ({exc}); delete it to start over"
            ) from exc
        if len(state.group_events) != len(query.log_groups) or state.offset < 0:
            raise PullError(f"{where}: damaged state file; delete it to start over")
        return state


def _strings(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("log_groups must be a list of strings")
    return value


def state_path_for(output: Path) -> Path:
    """Where the state of a pull into ``output`` is kept."""
    return output.with_name(output.name + ".pull-state")


def save_state(path: Path, state: PullState) -> None:
    """Write the state atomically: a crash leaves the old state or the new one."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(state.as_json()) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def load_state(path: Path) -> PullState:
    """Read the state saved by an interrupted pull."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PullError(f"{path}: cannot read the state file ({exc})") from exc
    return PullState.from_json(value, str(path))


# --- writing --------------------------------------------------------------------------


def document_start(log_group: str) -> str:
    # "{" alone on the first line: the decoder then reads the file as one
    # streamed JSON document, not as JSON lines held whole in memory.
    return "{\n" + f'"logGroupName": {json.dumps(log_group)},\n"events": [\n'


DOCUMENT_END = "\n]}\n"


def page_text(events: Iterable[Mapping[str, object]], *, first: bool) -> tuple[str, int]:
    """The events of one page as array elements, and how many there were."""
    lines = [json.dumps(dict(event), ensure_ascii=False) for event in events]
    if not lines:
        return "", 0
    return ("" if first else ",\n") + ",\n".join(lines), len(lines)


class DumpWriter:
    """Appends whole pieces to the output and reports its size after each one.

    For a ``.gz`` output every piece is a complete gzip member, so the file can
    be cut back to any piece boundary and appended to on ``--resume``.
    """

    def __init__(self, file: IO[bytes], *, compress: bool) -> None:
        self.file = file
        self.compress = compress

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        if self.compress:
            data = gzip.compress(data, compresslevel=6, mtime=0)
        self.file.write(data)
        self.file.flush()
        return self.file.tell()


# --- pulling --------------------------------------------------------------------------


Page = Mapping[str, Any]
FetchPages = Callable[[str, Query, str | None], Iterator[Page]]


def paginated(client: Client, page_size: int | None) -> FetchPages:
    """``filter_log_events`` pages of one log group, starting at a saved token."""
    token_encoder = importlib.import_module("botocore.paginate").TokenEncoder()
    paginator = client.get_paginator("filter_log_events")

    def fetch(log_group: str, query: Query, token: str | None) -> Iterator[Page]:
        config: dict[str, Any] = {}
        if page_size:
            config["PageSize"] = page_size
        if token:
            # The paginator takes its own encoding of the service's nextToken.
            config["StartingToken"] = token_encoder.encode({"nextToken": token})
        kwargs: dict[str, Any] = {
            "logGroupName": log_group,
            "startTime": query.start,
            "endTime": query.end,
        }
        if query.filter_pattern:
            kwargs["filterPattern"] = query.filter_pattern
        yield from paginator.paginate(**kwargs, PaginationConfig=config)

    return fetch


def pull(
    fetch: FetchPages,
    state: PullState,
    writer: DumpWriter,
    checkpoint: Callable[[PullState], None],
    progress: Progress | None = None,
) -> PullState:
    """Pull every remaining page, calling ``checkpoint`` after each one is written.

    Returns the final state. On an exception (Ctrl-C, an AWS error) the last
    state passed to ``checkpoint`` is the one to resume from.
    """
    groups = state.query.log_groups
    while not state.complete:
        group = groups[state.group_index]
        if progress is not None:
            progress.label = f"pull {group} ({state.group_index + 1}/{len(groups)})"
        for page in fetch(group, state.query, state.next_token):
            in_group = state.group_events[state.group_index]
            text, count = page_text(page.get("events", ()), first=in_group == 0)
            if not state.document_open:
                text = document_start(group) + text
            token = page.get("nextToken") or None
            if token is None:
                text += DOCUMENT_END
            offset = writer.write(text)
            events = list(state.group_events)
            events[state.group_index] += count
            state = replace(
                state,
                group_index=state.group_index + (token is None),
                next_token=token,
                document_open=token is not None,
                offset=offset,
                pages=state.pages + 1,
                group_events=tuple(events),
            )
            checkpoint(state)
            if progress is not None:
                last = page["events"][-1]["timestamp"] if count else None
                reached = f"  up to {iso(last)}" if isinstance(last, int) else ""
                progress.advance(count, detail=human_bytes(offset) + reached)
            if token is None:
                break
        else:
            # The pages ran out without a final page (no pages at all): close the document.
            text = ("" if state.document_open else document_start(group)) + DOCUMENT_END
            state = replace(
                state,
                group_index=state.group_index + 1,
                next_token=None,
                document_open=False,
                offset=writer.write(text),
            )
            checkpoint(state)
    return state


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
    from . import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE

    output = Path(args.output)
    state_path = state_path_for(output)
    try:
        state = _starting_state(args, output, state_path)
        client = _client(args)
    except (PullError, _AwsSetupError) as exc:
        print(f"logship: pull: {exc}", file=sys.stderr)
        return EXIT_USAGE
    run = _Run(output, state_path, state)
    failures: tuple[type[Exception], ...] = (*_aws_errors(), OSError)
    try:
        with _open_output(output, state) as file, Progress("pull") as progress:
            writer = DumpWriter(file, compress=output.name.endswith(".gz"))
            run.state = pull(
                paginated(client, args.page_size),
                state,
                writer,
                lambda saved: _checkpoint(run, saved),
                progress,
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


def _client(args: argparse.Namespace) -> Client:
    boto3 = importlib.import_module("boto3")
    boto_config = importlib.import_module("botocore.config").Config
    aws_errors = _aws_errors()
    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
        return session.client(
            "logs",
            endpoint_url=args.endpoint_url,
            # filter-log-events is throttled at a few requests per second per account.
            config=boto_config(retries={"mode": "adaptive", "max_attempts": 10}),
        )
    except aws_errors as exc:
        hint = " (pass --region or set AWS_REGION)" if "region" in str(exc).lower() else ""
        raise _AwsSetupError(f"{exc}{hint}") from exc


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
        "start": iso(state.query.start),
        "end": iso(state.query.end),
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
            f"({human_bytes(state.offset)}), {iso(state.query.start)} .. {iso(state.query.end)}"
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
