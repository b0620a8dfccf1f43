"""The benchmark's parts: its corpus is shaped like what CloudWatch delivers, its sink
server, stages and breakdown measure what they say.

The benchmark's own tests, beside it: they import ``bench``, which logship's tests
(``tests/``) never do; ``tests/bench/test_bench_runs.py`` runs ``python -m bench --tiny``
as a subprocess. ``scripts/test`` runs both. Nothing here is timed: the figures are for
``python -m bench`` to print and ``docs/performance.md`` to record, not for a test to
assert on a noisy machine.
"""

from __future__ import annotations

import base64
import gzip
import io
import itertools
import json
import random
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # plain `pytest` (unlike `python -m pytest`) leaves it out
    sys.path.insert(0, str(ROOT))

from bench import corpus, sink_server  # noqa: E402
from bench.breakdown import breakdown_report, cumulative_steps, part_steps  # noqa: E402
from bench.run import Measure, floor, pipeline_stage, throughput_table  # noqa: E402
from logship.decode import from_lambda_event, from_path  # noqa: E402
from logship.records import InputProblem, LogEvent  # noqa: E402


@pytest.fixture(scope="module")
def small() -> corpus.Corpus:
    return corpus.build_corpus(total_bytes=1_500_000, error_share=0.05, seed=3)


def _batch_bytes(payload: corpus.Payload) -> tuple[int, list[str]]:
    document = json.loads(gzip.decompress(payload.data))
    messages = [event["message"] for event in document["logEvents"]]
    size = sum(len(m.encode()) + corpus.EVENT_OVERHEAD for m in messages)
    return size, messages


class TestBuildCorpus:
    def test_payloads_decode_as_subscription_events(self, small: corpus.Corpus) -> None:
        """Every payload decodes through logship's own decoder, event for event."""
        decoded = [item for p in small.payloads for item in from_lambda_event(p.lambda_event())]
        assert not [item for item in decoded if isinstance(item, InputProblem)]
        assert sum(isinstance(item, LogEvent) for item in decoded) == small.events

    def test_payloads_respect_cloudwatch_batch_limits(self, small: corpus.Corpus) -> None:
        """No payload exceeds a PutLogEvents batch: 1,048,576 bytes, 10,000 events."""
        for payload in small.payloads:
            size, messages = _batch_bytes(payload)
            assert len(messages) <= corpus.MAX_BATCH_EVENTS
            assert size <= corpus.MAX_BATCH_BYTES

    def test_one_line_per_event_from_several_interleaved_streams(
        self, small: corpus.Corpus
    ) -> None:
        """The awslogs default: no event holds a newline; streams alternate in delivery."""
        for payload in small.payloads:
            assert not any("\n" in m for m in _batch_bytes(payload)[1])
        streams = [p.log_stream for p in small.payloads]
        assert len(set(streams)) > 3
        assert any(a != b for a, b in itertools.pairwise(streams))

    def test_error_share_is_held(self, small: corpus.Corpus) -> None:
        """About the asked share of events belongs to error entries."""
        assert small.error_events / small.events == pytest.approx(0.05, abs=0.015)

    def test_error_share_zero_writes_no_errors(self) -> None:
        """With a share of 0, every entry is an INFO/WARN one."""
        quiet = corpus.build_corpus(total_bytes=300_000, error_share=0.0, seed=3)
        assert quiet.error_events == 0

    def test_same_seed_same_bytes(self) -> None:
        """Generation is deterministic for a seed, so runs compare the same input."""
        first = corpus.build_corpus(total_bytes=200_000, seed=11)
        second = corpus.build_corpus(total_bytes=200_000, seed=11)
        assert [p.data for p in first.payloads] == [p.data for p in second.payloads]

    def test_traces_of_several_languages_are_drawn(self) -> None:
        """Error entries come from the real traces of several runtimes."""
        services = corpus.load_services()
        names = {service.name for service in services}
        assert {"inventory-service", "pricing-service", "billing-service"} <= names
        errors = [line for s in services for entry in s.errors for line in entry]
        assert any(line.startswith("Traceback (most recent call last):") for line in errors)
        assert any(line.startswith("goroutine ") for line in errors)
        assert any(line.lstrip().startswith("at System.") for line in errors)


class TestVary:
    def test_frames_keep_their_line_numbers(self) -> None:
        """Indented frame lines and PHP's #N frames are the code's: left alone."""
        lines = ("Error: order 123456 failed", "    at run (/app/x.js:1234:56)", "#0 /a.php(120)")
        varied = corpus.vary(lines, corpus.T0, random.Random(1))
        assert varied[1:] == list(lines[1:])

    def test_ids_change_but_keep_their_width(self) -> None:
        """Ids and amounts differ per occurrence, with the same number of digits."""
        varied = corpus.vary(("payment 7781 rejected for order 123456",), 0, random.Random(2))
        numbers = re.findall(r"\d+", varied[0])
        assert [len(n) for n in numbers] == [4, 6]
        assert numbers != ["7781", "123456"]

    def test_leading_timestamp_is_the_events_time(self) -> None:
        """The log prefix's time is set to the event's, in the line's own format."""
        line = "2026-11-24 10:28:19,895 ERROR [orders] Failed to charge order 42"
        varied = corpus.vary((line,), corpus.T0 + 1_234, random.Random(3))[0]
        assert varied.startswith("2024-05-01 10:00:01,234 ERROR [orders] Failed")


class TestLargestPayload:
    def test_batch_fills_one_putlogevents_batch(self) -> None:
        """The `batch` payload is as large as one batch may be, and no larger."""
        payload = corpus.largest_payload("batch")
        size, messages = _batch_bytes(payload)
        assert size <= corpus.MAX_BATCH_BYTES
        assert len(messages) == corpus.MAX_BATCH_EVENTS or size > corpus.MAX_BATCH_BYTES - 70_000

    def test_unknown_kind_is_refused(self) -> None:
        """Only the two documented bounds exist."""
        with pytest.raises(ValueError, match="kind"):
            corpus.largest_payload("huge")


class TestWriteDump:
    def test_dump_is_a_filter_log_events_document(self, tmp_path: Path) -> None:
        """The dump decodes with `logship replay`'s reader, every event accounted for."""
        path = tmp_path / "dump.json"
        with path.open("w", encoding="utf-8") as out:
            stats = corpus.write_dump(out, total_bytes=400_000, seed=5)
        assert stats.bytes == path.stat().st_size
        items = list(from_path(path, log_group=stats.log_group))
        assert not [item for item in items if isinstance(item, InputProblem)]
        assert sum(isinstance(item, LogEvent) for item in items) == stats.events
        assert 0 < stats.error_events < stats.events


class TestSinkServer:
    def _post(self, port: int, body: bytes, encoding: str = "gzip") -> tuple[int, dict[str, str]]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/1/envelope/",
            data=body,
            headers={"Content-Encoding": encoding, "Content-Type": "application/x-sentry-envelope"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            return exc.code, json.load(exc)

    def test_accepts_an_envelope_and_counts_it(self) -> None:
        """A gzip envelope is answered 200 with its event id, and counted."""
        envelope = b'{"event_id":"abc123"}\n{"type":"event"}\n{}\n'
        with sink_server.running() as server:
            port = server.server_address[1]
            status, body = self._post(port, gzip.compress(envelope))
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as stats:
                counts = json.load(stats)
        assert (status, body) == (200, {"id": "abc123"})
        assert counts["accepted"] >= 1

    def test_refuses_what_is_not_an_envelope(self) -> None:
        """Bytes that are not gzip JSON framing get a 400, so a broken sender shows."""
        with sink_server.running() as server:
            status, _ = self._post(server.server_address[1], b"not gzip at all")
        assert status == 400

    def test_dsn_points_at_loopback(self) -> None:
        """The DSN the bench gives the Lambda names 127.0.0.1 and the port."""
        assert sink_server.dsn(4321) == (
            f"http://{sink_server.PUBLIC_KEY}@127.0.0.1:4321/{sink_server.PROJECT}"
        )


class TestStages:
    def test_floor_touches_every_message(self, small: corpus.Corpus) -> None:
        """The floor decodes every payload and reads every message."""
        events = [p.lambda_event() for p in small.payloads[:3]]
        expected = 0
        for event in events:
            document = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
            expected += sum(len(e["message"]) for e in document["logEvents"])
        assert floor(events) == expected


class TestThroughputTable:
    def test_table_names_targets(self) -> None:
        """The table says, per stage, whether its target is met."""
        tiny = corpus.build_corpus(total_bytes=100_000, seed=2)
        table = throughput_table(
            tiny,
            {
                "floor": Measure("floor", [1.0], 0),
                "pipeline": Measure("pipeline", [2.0], 0),
                "lambda": Measure("lambda", [5.0], 0),
            },
        )
        assert ">= 40% met" in table  # 50% of the floor
        assert ">= 25% NOT met" in table  # 20% of the floor
        assert io.StringIO(table).read().count("\n") == 3


class TestBreakdown:
    def test_the_cut_pipelines_agree_with_stage_two(self, small: corpus.Corpus) -> None:
        """Each cut runs the real stages: the errors found are the events stage (2) builds."""
        events = [p.lambda_event() for p in small.payloads[:4]]
        steps = cumulative_steps()
        built = pipeline_stage()(events)
        assert built > 0
        assert steps["+ parse, fingerprint"](events) == built  # no ignore rules, no flood limit
        assert steps["+ ignore rules"](events) == built
        assert steps["+ build event dicts = stage (2)"](events) == built
        assert steps["decode into batches"](events) <= sum(p.events for p in small.payloads[:4])

    def test_the_parts_are_measured_on_the_same_corpus(self, small: corpus.Corpus) -> None:
        """The error path builds every error the pipeline finds; every line is called once."""
        events = [p.lambda_event() for p in small.payloads]
        steps, counts = part_steps(events)
        assert counts["lines"] == small.events
        assert 0 < counts["json_lines"] < counts["lines"]
        assert counts["errors"] == pipeline_stage()(events)
        runs = dict(zip(("floor", "calls", "json", "errors"), steps.values(), strict=True))
        assert runs["calls"](events) == counts["lines"]
        assert runs["json"](events) == counts["json_lines"]
        assert runs["errors"](events) == counts["errors"]

    def test_report_has_both_tables(self, small: corpus.Corpus) -> None:
        """The report prints the cumulative table and the sum of the parts against the target."""
        events = [p.lambda_event() for p in small.payloads[:2]]
        report = breakdown_report(events, sum(p.events for p in small.payloads[:2]), 1)
        assert "+ build event dicts = stage (2)" in report
        sums = re.findall(r"sum with .* (\d+\.\d+)%\s+of floor \(target >= 40%\)", report)
        assert len(sums) == 2


class TestFastPathsOnTheBenchmarkCorpus:
    """logship's fast paths change nothing but speed on the benchmark's payloads too.

    The same equivalences ``tests/test_fast_lane.py``, ``tests/test_assemble_batch.py``
    and ``tests/parse/test_fast_reject.py`` check on the evaluation corpus and the
    fixtures, here on the traffic the benchmark times.
    """

    @pytest.mark.parametrize("error_share", [0.05, 0.2])
    def test_fast_lane(self, error_share: float) -> None:
        """errors() with and without the fast lane: the same errors and report."""
        from logship.config import Config
        from logship.pipeline import RunReport, errors

        built = corpus.build_corpus(total_bytes=1_500_000, error_share=error_share)
        items = [i for p in built.payloads for i in from_lambda_event(p.lambda_event())]
        results = []
        for fast_lane in (False, True):
            report = RunReport()
            found = list(errors(iter(items), Config(), report, fast_lane=fast_lane))
            results.append(([(e.fingerprint, e.error.event_ids) for e in found], report.as_dict()))
        assert results[0] == results[1]
        assert results[0][0]

    @pytest.mark.parametrize("error_share", [0.05, 0.2])
    def test_batches(self, error_share: float) -> None:
        """Each payload as one batch or event by event: the same errors and report."""
        from logship.config import Config
        from logship.pipeline import RunReport, errors

        built = corpus.build_corpus(total_bytes=1_500_000, error_share=error_share)
        shipped = 0
        for payload in built.payloads:
            event = payload.lambda_event()
            results = []
            for batched in (False, True):
                report = RunReport()
                found = list(errors(from_lambda_event(event, batched=batched), Config(), report))
                results.append(([e.fingerprint for e in found], report.as_dict()))
            assert results[0] == results[1]
            shipped += len(results[0][0])
        assert shipped > 10

    def test_fast_reject(self) -> None:
        """parse_record with and without the fast rejection: the same result per record."""
        from logship.assemble import assemble
        from logship.config import Config
        from logship.parse import parse_record

        built = corpus.build_corpus(total_bytes=700_000, error_share=0.2)
        config = Config()
        events = [
            item
            for payload in built.payloads
            for item in from_lambda_event(payload.lambda_event())
            if isinstance(item, LogEvent)
        ]
        records = list(assemble(events, config.assembly))
        assert any(len(record.lines) > 1 for record in records)
        for record in records:
            assert parse_record(record, config, fast_reject=False) == parse_record(record, config)
