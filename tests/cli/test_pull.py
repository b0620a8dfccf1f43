"""Tests for ``logship pull``: CloudWatch Logs (moto) -> dump -> ``logship.decode``.

The log events put into moto are those of the bundled sample dump (real traces
from real runtimes), moved to the last hour so the pulls' windows hold them.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from logship.cli import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    main,
)
from logship.cli import pull as pull_module
from logship.decode import from_path
from logship.exceptions import PullError
from logship.pull import (
    build_query,
    parse_duration,
    parse_time,
    state_as_json,
    state_from_json,
    state_path_for,
)
from logship.records import LogEvent
from logship.records.tools import PullState, Query

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-subscription-events.jsonl.gz"
REGION = "eu-west-1"
HOUR = 3_600_000

Event = tuple[str, str, int, str]  # log group, stream, timestamp, message


@pytest.fixture
def loaded(aws: None) -> list[Event]:
    """The sample's events put into moto, an hour ago; returns what was put."""
    sample = [item for item in from_path(SAMPLE) if isinstance(item, LogEvent)]
    first = min(event.timestamp for event in sample)
    base = int(time.time() * 1000) - HOUR
    streams: dict[tuple[str, str], list[LogEvent]] = defaultdict(list)
    for event in sample:
        streams[event.log_group, event.log_stream].append(event)
    client = boto3.client("logs", region_name=REGION)
    for group in sorted({event.log_group for event in sample}):
        client.create_log_group(logGroupName=group)
    put: list[Event] = []
    for (group, stream), events in streams.items():
        client.create_log_stream(logGroupName=group, logStreamName=stream)
        ordered = sorted(events, key=lambda e: e.timestamp)
        log_events = [
            {"timestamp": base + e.timestamp - first, "message": e.message} for e in ordered
        ]
        response = client.put_log_events(
            logGroupName=group, logStreamName=stream, logEvents=log_events
        )
        assert not response.get("rejectedLogEventsInfo")
        put.extend((group, stream, e["timestamp"], e["message"]) for e in log_events)
    return put


def groups_of(events: list[Event]) -> list[str]:
    return sorted({event[0] for event in events})


def pull_args(output: Path, groups: list[str], *extra: str) -> list[str]:
    args = ["pull", "--region", REGION, "--since", "2h", "-o", str(output), *extra]
    for group in groups:
        args += ["--log-group", group]
    return args


def decoded(path: Path) -> list[Event]:
    """What ``logship.decode`` reads back from a pulled dump (problems fail the test)."""
    events: list[Event] = []
    for item in from_path(path):
        assert isinstance(item, LogEvent), item
        events.append((item.log_group, item.log_stream, item.timestamp, item.message))
    return events


class TestParseDuration:
    def test_units_and_compounds(self) -> None:
        """Seconds to weeks, alone or combined, become milliseconds."""
        assert parse_duration("90s") == 90_000
        assert parse_duration("2h") == 2 * HOUR
        assert parse_duration("1d12h") == 36 * HOUR
        assert parse_duration("1w") == 7 * 24 * HOUR

    def test_rejects_what_is_not_a_duration(self) -> None:
        """A bare number or an unknown unit is an error that shows the accepted forms."""
        for text in ("2", "2x", "h", "-2h"):
            with pytest.raises(PullError, match="not a duration"):
                parse_duration(text)


class TestParseTime:
    NOW = 1_714_557_600_000  # 2024-05-01T10:00:00Z

    def test_iso_epoch_and_ago(self) -> None:
        """ISO 8601 (naive is UTC), epoch milliseconds and 'a duration ago' all work."""
        assert parse_time("2024-05-01T10:00:00Z", 0) == self.NOW
        assert parse_time("2024-05-01T10:00", 0) == self.NOW
        assert parse_time("2024-05-01T12:00+02:00", 0) == self.NOW
        assert parse_time(str(self.NOW), 0) == self.NOW
        assert parse_time("2h", self.NOW) == self.NOW - 2 * HOUR

    def test_rejects_garbage(self) -> None:
        """Anything else is a PullError naming the value."""
        with pytest.raises(PullError, match="'yesterday' is not a time"):
            parse_time("yesterday", self.NOW)


class TestBuildQuery:
    def test_since_ends_now_and_groups_are_deduplicated(self) -> None:
        """--since is the window up to now; a group named twice is pulled once."""
        query = build_query(
            ["/a", "/b", "/a"], since="2h", start=None, end=None, filter_pattern="", now_ms=HOUR * 5
        )
        assert query == Query(("/a", "/b"), 3 * HOUR, 5 * HOUR)

    @pytest.mark.parametrize(
        ("groups", "since", "start", "end", "message"),
        [
            ([], "2h", None, None, "at least one --log-group"),
            (["/a"], None, None, None, "give --since"),
            (["/a"], "2h", None, "1h", "--since pulls up to now"),
            (["/a"], None, "1h", "2h", "is not before the end"),
        ],
    )
    def test_errors(
        self, groups: list[str], since: str | None, start: str | None, end: str | None, message: str
    ) -> None:
        """Missing groups, no window, --since with --end, and an empty window are refused."""
        with pytest.raises(PullError, match=message):
            build_query(
                groups, since=since, start=start, end=end, filter_pattern="", now_ms=HOUR * 5
            )


class TestPullState:
    def test_round_trips_through_json(self) -> None:
        """A saved state reads back equal."""
        state = PullState(
            Query(("/a", "/b"), 1, 2, "ERROR"),
            group_index=1,
            next_token="tok",
            document_open=True,
            offset=99,
            pages=3,
            group_events=(5, 7),
        )
        assert state_from_json(json.loads(json.dumps(state_as_json(state))), "s") == state

    def test_damaged_state_names_the_file(self) -> None:
        """A state file that is not ours is refused with its name and what to do."""
        with pytest.raises(PullError, match=r"^s\.state: damaged state file .*delete it"):
            state_from_json({"version": 1, "log_groups": "x"}, "s.state")


class TestPull:
    def test_round_trip_through_decode(
        self, loaded: list[Event], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Every event of every group comes back from the dump, with its own log group."""
        output = tmp_path / "dump.json.gz"
        status = main(pull_args(output, groups_of(loaded), "--page-size", "40", "--json"))
        out, err = capsys.readouterr()
        assert status == EXIT_OK, err
        assert Counter(decoded(output)) == Counter(loaded)
        summary = json.loads(out)
        assert summary["complete"] is True
        assert summary["events"] == len(loaded)
        assert summary["pages"] > len(groups_of(loaded))  # several pages per group
        per_group = Counter(event[0] for event in loaded)
        assert {g["log_group"]: g["events"] for g in summary["log_groups"]} == per_group
        assert summary["bytes"] == output.stat().st_size
        assert summary["state_file"] is None
        assert not state_path_for(output).exists()

    def test_replay_of_the_pull_finds_the_sample_groups(
        self, loaded: list[Event], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`logship replay` on the pulled dump groups errors as on the original sample."""
        output = tmp_path / "dump.json"  # uncompressed this time
        assert main(pull_args(output, groups_of(loaded))) == EXIT_OK
        capsys.readouterr()

        def fingerprints(path: Path) -> Counter[tuple[str, ...]]:
            assert main(["replay", str(path), "--json"]) == EXIT_OK
            lines = capsys.readouterr().out.splitlines()
            return Counter(tuple(json.loads(line)["fingerprint"]) for line in lines[:-1])

        pulled = fingerprints(output)
        assert pulled == fingerprints(SAMPLE)
        assert sum(pulled.values()) == 30

    def test_human_summary(
        self, loaded: list[Event], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without --json: the totals, a line per group and the next command."""
        output = tmp_path / "dump.json.gz"
        assert main(pull_args(output, ["/ecs/cart-service"])) == EXIT_OK
        out = capsys.readouterr().out
        count = sum(1 for event in loaded if event[0] == "/ecs/cart-service")
        assert out.startswith(f"{output}: {count} events from 1 log group(s)")
        assert "/ecs/cart-service" in out
        assert f"next: logship replay {output}" in out
        assert "\x1b[" not in out  # not a terminal: no colors

    def test_filter_pattern_is_passed_on(
        self, loaded: list[Event], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Only events matching --filter-pattern are pulled."""
        output = tmp_path / "dump.json.gz"
        args = pull_args(output, groups_of(loaded), "--filter-pattern", "ERROR", "--json")
        assert main(args) == EXIT_OK
        got = decoded(output)
        assert got
        assert all("ERROR" in event[3] for event in got)
        assert len(got) == sum(1 for event in loaded if "ERROR" in event[3])
        assert json.loads(capsys.readouterr().out)["filter_pattern"] == "ERROR"

    def test_empty_group_gives_an_empty_document(
        self, aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A group without events in the window still reads back (as no events)."""
        boto3.client("logs", region_name=REGION).create_log_group(logGroupName="/quiet")
        output = tmp_path / "dump.json.gz"
        assert main(pull_args(output, ["/quiet"])) == EXIT_OK
        assert decoded(output) == []

    def test_missing_log_group_fails_and_leaves_nothing(
        self, aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """AWS's error is shown, exit 1; with nothing pulled no state or output remains."""
        output = tmp_path / "dump.json.gz"
        assert main(pull_args(output, ["/does-not-exist"])) == EXIT_FAILURE
        err = capsys.readouterr().err
        assert "ResourceNotFoundException" in err
        assert not output.exists()
        assert not state_path_for(output).exists()

    def test_no_region_is_a_usage_error(
        self,
        aws: None,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Without a region anywhere, exit 2 with a hint to pass --region."""
        monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
        monkeypatch.delenv("AWS_REGION", raising=False)
        args = ["pull", "--log-group", "/a", "--since", "1h", "-o", str(tmp_path / "d.json")]
        assert main(args) == EXIT_USAGE
        assert "--region" in capsys.readouterr().err


def interrupt_on_write(monkeypatch: pytest.MonkeyPatch, call: int, error: BaseException) -> None:
    """Make the ``call``-th write of the dump write its piece, then raise ``error``.

    The piece is on disk but not in the state: resuming must cut it off again.
    """
    original = pull_module.DumpWriter.write
    calls = Counter[str]()

    def write(self: pull_module.DumpWriter, text: str) -> int:
        offset = original(self, text)
        calls["n"] += 1
        if calls["n"] == call:
            raise error
        return offset

    monkeypatch.setattr(pull_module.DumpWriter, "write", write)


class TestResume:
    def test_ctrl_c_then_resume_gives_every_event_once(
        self,
        loaded: list[Event],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Interrupted mid-way (exit 130), --resume completes it: no event lost or doubled."""
        output = tmp_path / "dump.json.gz"
        groups = groups_of(loaded)
        with monkeypatch.context() as patch:
            interrupt_on_write(patch, 5, KeyboardInterrupt())
            status = main(pull_args(output, groups, "--page-size", "25", "--json"))
        out, err = capsys.readouterr()
        assert status == EXIT_INTERRUPTED
        first = json.loads(out)
        assert first["interrupted"] is True
        assert first["complete"] is False
        assert 0 < first["events"] < len(loaded)
        state_file = state_path_for(output)
        assert first["state_file"] == str(state_file)
        assert state_file.exists()
        assert "--resume" in err
        saved = json.loads(state_file.read_text())
        assert output.stat().st_size > saved["offset"]  # the 5th page is on disk, unsaved

        resume = ["pull", "--region", REGION, "-o", str(output), "--resume", "--json"]
        assert main(resume) == EXIT_OK
        second = json.loads(capsys.readouterr().out)
        assert second["complete"] is True
        assert second["events"] == len(loaded)
        assert Counter(decoded(output)) == Counter(loaded)
        assert not state_file.exists()

    def test_aws_error_then_resume(
        self,
        loaded: list[Event],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A throttling error after some pages exits 1 with the state kept; --resume finishes."""
        output = tmp_path / "dump.json"
        groups = groups_of(loaded)
        original = pull_module.paginated

        def failing(client: Any, page_size: int | None) -> pull_module.FetchPages:
            fetch = original(client, page_size)

            def pages(group: str, query: Query, token: str | None) -> Iterator[Any]:
                for number, page in enumerate(fetch(group, query, token)):
                    if group == groups[1] and number == 1:
                        error = {"Code": "ThrottlingException", "Message": "Rate exceeded"}
                        raise ClientError({"Error": error}, "FilterLogEvents")
                    yield page

            return pages

        with monkeypatch.context() as patch:
            patch.setattr(pull_module, "paginated", failing)
            status = main(pull_args(output, groups, "--page-size", "10"))
        err = capsys.readouterr().err
        assert status == EXIT_FAILURE
        assert "ThrottlingException: Rate exceeded" in err
        assert state_path_for(output).exists()

        resume = ["pull", "--region", REGION, "-o", str(output), "--resume"]
        assert main([*resume, "--log-group", groups[0]]) == EXIT_USAGE  # not the same groups
        assert main(resume) == EXIT_OK
        assert Counter(decoded(output)) == Counter(loaded)

    def test_state_guards(
        self,
        loaded: list[Event],
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A leftover state blocks a fresh pull; --resume needs a state and the full output."""
        output = tmp_path / "dump.json.gz"
        resume = ["pull", "--region", REGION, "-o", str(output), "--resume"]
        assert main(resume) == EXIT_USAGE
        assert "nothing to resume" in capsys.readouterr().err

        with monkeypatch.context() as patch:
            interrupt_on_write(patch, 2, KeyboardInterrupt())
            assert main(pull_args(output, ["/ecs/cart-service"], "--page-size", "5")) == 130
        capsys.readouterr()
        assert main(pull_args(output, ["/ecs/cart-service"])) == EXIT_USAGE
        assert "add --resume to continue" in capsys.readouterr().err

        output.write_bytes(b"")  # the output lost what the state says was written
        assert main(resume) == EXIT_USAGE
        assert "is shorter" in capsys.readouterr().err
