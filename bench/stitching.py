"""What stitching costs: the Lambda path with and without reading the stream around payloads.

Two cuts of the benchmark's corpus: payloads as large as CloudWatch Logs delivers them
(the throughput stages'), and payloads of 4 to 16 KiB, what a service writing a few
hundred lines per 5 s flush of the awslogs driver produces, where boundaries cut traces
often. The events are stored in an in-process moto CloudWatch Logs (``mock_aws``),
moved to the last hour (moto keeps 14 days). Each run calls
:func:`logship.aws_lambda.handle` once per payload into a memory sink, with stitching
on and off, interleaved run by run. Printed: the share of invocations that read, the
reads, the entries stitched, and the time stitching adds, per read and in all.

moto answers in-process, so the time added is the CPU stitching costs: finding each
payload's edges, and per read botocore's request and response handling, moto's own
work (it sorts the stream on every call) and re-assembling the edge. A real
``GetLogEvents`` adds its round trip, tens of milliseconds, to the invocation's
duration (billed time, not CPU) for each read.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from bench.corpus import Corpus, build_corpus

REGION = "eu-west-1"
WAIT_MS = 1_000  # stored, then waited past: nothing more can continue an entry


def _decoded(corpus: Corpus) -> list[tuple[str, str, list[tuple[str, int, str]]]]:
    out = []
    for payload in corpus.payloads:
        document = json.loads(gzip.decompress(payload.data))
        events = [(e["id"], e["timestamp"], e["message"]) for e in document["logEvents"]]
        out.append((document["logGroup"], document["logStream"], events))
    return out


def _store(client: Any, payloads: Sequence[tuple[str, str, list[tuple[str, int, str]]]]) -> None:
    streams: dict[tuple[str, str], list[tuple[str, int, str]]] = defaultdict(list)
    for group, stream, events in payloads:
        streams[group, stream].extend(events)
    for group in sorted({group for group, _ in streams}):
        client.create_log_group(logGroupName=group)
    for (group, stream), events in streams.items():
        client.create_log_stream(logGroupName=group, logStreamName=stream)
        events.sort(key=lambda event: event[1])
        for start in range(0, len(events), 5_000):  # within PutLogEvents' 1 MB
            chunk = [{"timestamp": t, "message": m} for _, t, m in events[start : start + 5_000]]
            client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=chunk)


SMALL_MB = 4.0  # the small-payload cut: enough boundaries for a per-read figure


def stitching_report(corpus: Corpus, runs: int, *, error_share: float, seed: int) -> str:
    """Both cuts of the corpus (see the module), each measured by :func:`measure_stitching`."""
    small = build_corpus(
        total_bytes=int(min(SMALL_MB * 2**20, corpus.inflated_bytes)),
        error_share=error_share,
        seed=seed,
        min_payload=4 * 1024,
        max_payload=16 * 1024,
    )
    return "\n".join(
        (
            "stitching (moto CloudWatch Logs in-process; the Lambda path into a memory sink,",
            "with and without reading; a real GetLogEvents adds its round trip, tens of ms,",
            "per read to the billed duration):",
            measure_stitching("payloads up to 1 MB", corpus, runs),
            measure_stitching("payloads of 4-16 KiB", small, runs),
        )
    )


def measure_stitching(name: str, corpus: Corpus, runs: int) -> str:
    """Store the corpus in moto, run the Lambda path with and without stitching, compare."""
    import boto3
    from botocore.config import Config as BotoConfig
    from moto import mock_aws

    from logship.aws_lambda import event_settings_for, handle, make_logger
    from logship.cloudwatch import LogsReader
    from logship.config import Config
    from logship.decode import encode_payload
    from logship.settings import Settings
    from logship.sink import MemorySink

    decoded = _decoded(corpus)
    latest = max(t for _, _, events in decoded for _, t, _ in events)
    shift = int(time.time() * 1000) - 3_600_000 - latest
    moved = [(g, s, [(i, t + shift, m) for i, t, m in events]) for g, s, events in decoded]
    lambda_events = [
        {"awslogs": {"data": base64.b64encode(encode_payload(g, s, events)).decode("ascii")}}
        for g, s, events in moved
    ]
    config = Config()
    context = _Context()
    with mock_aws():
        # The corpus holds blank lines as events, which PutLogEvents' schema refuses.
        client = boto3.client(
            "logs", region_name=REGION, config=BotoConfig(parameter_validation=False)
        )
        started = time.perf_counter()
        _store(client, moved)
        stored_s = time.perf_counter() - started
        time.sleep((WAIT_MS + 1_100) / 1000)
        variants = {
            "off": Settings(dsn="http://k@127.0.0.1:9/1", region=REGION, stitching=False),
            "on": Settings(dsn="http://k@127.0.0.1:9/1", region=REGION, stitch_wait_ms=WAIT_MS),
        }
        seconds: dict[str, list[float]] = {name: [] for name in variants}
        summaries: list[dict[str, Any]] = []
        for _ in range(max(1, runs)):
            for variant, settings in variants.items():
                reader = LogsReader(client=client)
                event_settings = event_settings_for(settings, config)
                sink = MemorySink()
                out: list[dict[str, Any]] = []
                began = time.perf_counter()
                for event in lambda_events:
                    out.append(
                        handle(
                            event,
                            context,
                            settings=settings,
                            config=config,
                            event_settings=event_settings,
                            sink=sink,
                            log=make_logger(io.StringIO()),
                            reader=reader,
                        )
                    )
                seconds[variant].append(time.perf_counter() - began)
                if variant == "on":
                    summaries = out
    off, on = statistics.median(seconds["off"]), statistics.median(seconds["on"])
    invocations = len(summaries)
    reading = sum(1 for s in summaries if s["stitch_reads"])
    reads = sum(s["stitch_reads"] for s in summaries)
    stitched = sum(s["entries_stitched"] for s in summaries)
    continued = sum(s["events_continued"] for s in summaries)
    failed = sum(s["stitch_failed"] for s in summaries)
    per_read = (on - off) / reads * 1000 if reads else 0.0
    return "\n".join(
        (
            f"  {name}: {invocations} payloads (stored in {stored_s:.1f} s), median of "
            f"{max(1, runs)}",
            f"    invocations that read: {reading} of {invocations} "
            f"({reading / invocations:.0%}); reads: {reads}; entries stitched: {stitched}; "
            f"events continued: {continued}; edges failed: {failed}",
            f"    without stitching {off:.3f} s, with {on:.3f} s ({(on - off) / off:+.1%}); "
            f"{per_read:.2f} ms added per read (botocore and moto's own work included)",
        )
    )


class _Context:
    def get_remaining_time_in_millis(self) -> int:
        return 300_000
