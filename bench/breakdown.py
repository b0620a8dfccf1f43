"""Where stage (2)'s time goes, per event, and the parts no version of it can skip.

``python -m bench --breakdown`` prints two tables, in microseconds per event
of the corpus (medians of interleaved runs, like the throughput table):

- **cumulative**: the pipeline cut after each of its stages, from the floor
  to the built event dicts (the last row is stage (2) itself);
- **parts measured apart**: what any pipeline that gives the same answers has
  to pay, whatever its assembler does:

  - decoding the payloads (the floor, and logship's decode into batches);
  - looking at every line once, priced as one C call per line that does no
    work (an empty regex matched over the batch's messages with ``map``):
    any per-line check made from Python costs at least this;
  - decoding each JSON line: whether a JSON line is an error depends on its
    level field, and on its being one valid object, so it is decoded;
  - the error path: parse, fingerprint and build of the error records alone.

  Their sum is what the pipeline would cost with an assembler that costs
  nothing beyond that one call per line: the figure to hold against the
  target, and against which a cheaper assembler is no longer the lever.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from bench.run import (
    TARGET_PIPELINE,
    LambdaEvent,
    floor,
    floor_document,
    measure,
    pipeline_stage,
    warm_up,
)

# What bench.run measures: a run over the payloads, returning what it counted. The
# parts measured apart run over data decoded once from the same payloads instead.
Step = Callable[[Sequence[LambdaEvent]], int]

_NO_WORK = re.compile("")
FLOOR = "floor: base64+gunzip+json"


def _messages(events: Sequence[LambdaEvent]) -> list[list[str]]:
    """Each payload's messages, decoded once, outside any timing."""
    return [
        [log_event["message"] for log_event in floor_document(event)["logEvents"]]
        for event in events
    ]


def cumulative_steps() -> dict[str, Step]:
    """The pipeline cut after each stage: label -> a run over the payloads it is given."""
    from logship.assemble import assemble
    from logship.config import Config
    from logship.decode import from_lambda_event
    from logship.pipeline import RunReport, _fast_lane, errors, run
    from logship.records import LogBatch, LogEvent

    config = Config()

    def decode(events: Sequence[LambdaEvent]) -> int:
        return sum(1 for event in events for _ in from_lambda_event(event, batched=True))

    def assembled(events: Sequence[LambdaEvent]) -> int:
        records = 0
        for event in events:
            items = from_lambda_event(event, batched=True)
            batches = (item for item in items if isinstance(item, LogEvent | LogBatch))
            lane = _fast_lane(config)
            records += sum(1 for _ in assemble(batches, config.assembly, fast_lane=lane))
        return records

    def parsed(events: Sequence[LambdaEvent]) -> int:
        found = 0
        for event in events:
            items = from_lambda_event(event, batched=True)
            found += sum(1 for _ in errors(items, config, RunReport()))
        return found

    def decided(events: Sequence[LambdaEvent]) -> int:
        found = 0
        for event in events:
            items = from_lambda_event(event, batched=True)
            found += sum(1 for _ in run(items, config, RunReport()))
        return found

    return {
        FLOOR: floor,
        "decode into batches": decode,
        "+ assemble (fast lane)": assembled,
        "+ parse, fingerprint": parsed,
        "+ ignore rules": decided,
        "+ build event dicts = stage (2)": pipeline_stage(),
    }


def part_steps(events: Sequence[LambdaEvent]) -> tuple[dict[str, Step], dict[str, int]]:
    """The parts measured apart, on ``events`` decoded once, and their lines, JSON lines, errors.

    Each run ignores the payloads it is given: it reads what was decoded here.
    """
    from logship.assemble import assemble
    from logship.config import Config
    from logship.decode import from_lambda_event
    from logship.event import EventSettings, build_event
    from logship.fingerprint import fingerprint
    from logship.parse import parse_record
    from logship.records import LogEvent, LogRecord

    config = Config()
    settings = EventSettings()
    payloads = _messages(events)
    json_lines = [message for messages in payloads for message in messages if message[:1] == "{"]
    error_records: list[LogRecord] = []
    for event in events:
        items = (item for item in from_lambda_event(event) if isinstance(item, LogEvent))
        for record in assemble(items, config.assembly):
            if parse_record(record, config) is not None:
                error_records.append(record)

    def one_call_per_line(_events: Sequence[LambdaEvent]) -> int:
        return sum(len(list(map(_NO_WORK.match, messages))) for messages in payloads)

    def json_decodes(_events: Sequence[LambdaEvent]) -> int:
        return len(list(map(json.loads, json_lines)))

    def error_path(_events: Sequence[LambdaEvent]) -> int:
        built = 0
        for record in error_records:
            error = parse_record(record, config)
            if error is not None:
                build_event(fingerprint(error, config.masks), settings, {})
                built += 1
        return built

    counts = {
        "lines": sum(map(len, payloads)),
        "json_lines": len(json_lines),
        "errors": len(error_records),
    }
    steps: dict[str, Step] = {
        FLOOR: floor,
        "one C call per line (no work)": one_call_per_line,
        f"decode of the {counts['json_lines']:,} JSON lines": json_decodes,
        f"parse+fingerprint+build of the {counts['errors']:,} errors": error_path,
    }
    return steps, counts


def _medians(steps: dict[str, Step], events: Sequence[LambdaEvent], runs: int) -> dict[str, float]:
    """Seconds per step, as bench.run measures its stages: a warm-up, then interleaved runs."""
    warm_up(steps, events)
    return {label: result.median for label, result in measure(steps, events, runs).items()}


def breakdown_report(events: Sequence[LambdaEvent], event_count: int, runs: int) -> str:
    """Both tables, as ``python -m bench --breakdown`` prints them."""
    per_event = 1e6 / event_count
    cumulative = _medians(cumulative_steps(), events, runs)
    floor_us = cumulative[FLOOR] * per_event
    lines = [f"where stage (2)'s time goes (us per event, median of {runs}, cumulative):"]
    for label, seconds in cumulative.items():
        micros = seconds * per_event
        lines.append(f"  {label:48} {micros:6.2f}   {floor_us / micros:6.1%} of floor")
    steps, _counts = part_steps(events)
    parts = {label: seconds * per_event for label, seconds in _medians(steps, events, runs).items()}
    decode_us = cumulative["decode into batches"] * per_event
    lines.append(
        "what no pipeline with the same answers skips, measured apart"
        " (us per event, averaged over all events):"
    )
    lines += [f"  {label:48} {micros:6.2f}" for label, micros in parts.items()]
    rest = sum(micros for label, micros in parts.items() if label != FLOOR)
    bases = (("the floor", parts[FLOOR]), ("logship's decode", decode_us))
    for base_label, base in bases:
        total = base + rest
        lines.append(
            f"  sum with {base_label:39} {total:6.2f}   {floor_us / total:6.1%} of floor"
            f" (target >= {TARGET_PIPELINE:.0%})"
        )
    return "\n".join(lines)
