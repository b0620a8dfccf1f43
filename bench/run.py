"""The logship benchmark: throughput against the decode floor, cold start, memory.

Run from the repository root (figures are printed, nothing is asserted)::

    python -m bench                  # or: python bench/run.py
    python -m bench --big            # adds `logship replay` on a 1 GB dump (minutes)
    python -m bench --profile        # adds a cProfile of stage (2)
    python -m bench --breakdown      # adds where stage (2)'s time goes, stage by stage
    python -m bench --tiny           # a few payloads: proves it runs (the smoke test)

Throughput, measured on the same subscription payloads, interleaved run by run
so that a noisy neighbour hits every stage alike (the median run is shown):

1. floor: ``json.loads(zlib.decompress(base64.b64decode(data), 16 + MAX_WBITS))``
   per payload, touching each event's message: the least any Lambda must do;
2. pipeline: decode -> run -> build the Sentry event dicts, into a
   :class:`~logship.sink.MemorySink`, one run per payload as the Lambda does;
3. Lambda: ``lambda_handler.handler`` per payload with ``SENTRY_DSN`` pointing
   at :mod:`bench.sink_server`, a local HTTP sink in its own process.

MB/s are of inflated payload JSON (10**6 bytes).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus import (
    DEFAULT_ERROR_SHARE,
    DEFAULT_SEED,
    ROOT,
    Corpus,
    Payload,
    build_corpus,
    largest_payload,
    write_dump,
)
from bench.sink_server import dsn

TARGET_PIPELINE = 0.40  # stage (2) / floor
TARGET_LAMBDA = 0.25  # stage (3) / floor
TARGET_IMPORT_S = 0.250
TARGET_IMPORT_RATIO = 1.5  # lambda_handler / sentry_sdk alone
TARGET_REPLAY_RSS_MB = 300
REMAINING_MS = 300_000  # what the fake Lambda context says is left: never the limit here

LambdaEvent = dict[str, Any]


# --------------------------------------------------------------------------- stages


def floor_document(event: LambdaEvent) -> dict[str, Any]:
    """One payload's JSON document, decoded the floor's way: C calls only."""
    raw = zlib.decompress(base64.b64decode(event["awslogs"]["data"]), 16 + zlib.MAX_WBITS)
    document: dict[str, Any] = json.loads(raw)
    return document


def floor(events: Sequence[LambdaEvent]) -> int:
    """Stage (1): decode every payload and touch every message; returns the characters seen."""
    seen = 0
    for event in events:
        for log_event in floor_document(event)["logEvents"]:
            seen += len(log_event["message"])
    return seen


def pipeline_stage() -> Callable[[Sequence[LambdaEvent]], int]:
    """Stage (2): the Lambda's work without HTTP; returns the events built."""
    from logship.config import Config
    from logship.decode import from_lambda_event
    from logship.deliver import deliver
    from logship.event import EventSettings
    from logship.pipeline import RunReport, run
    from logship.sink import MemorySink

    config = Config()
    settings = EventSettings()

    def budget() -> float:
        return REMAINING_MS / 1000

    def stage(events: Sequence[LambdaEvent]) -> int:
        built = 0
        for event in events:
            report = RunReport()
            sink = MemorySink()
            deliver(
                run(from_lambda_event(event, batched=True), config, report),
                sink=sink,
                settings=settings,
                report=report,
                budget=budget,
                max_per_fingerprint=config.max_events_per_fingerprint,
            )
            if not report.balanced():
                raise AssertionError(f"unbalanced report: {report.as_dict()}")
            built += len(sink.events)
        return built

    return stage


class _Context:
    """The part of the Lambda context the handler reads."""

    def get_remaining_time_in_millis(self) -> int:
        return REMAINING_MS


def lambda_stage(port: int) -> Callable[[Sequence[LambdaEvent]], int]:
    """Stage (3): ``lambda_handler.handler`` per payload; returns the events shipped."""
    os.environ["SENTRY_DSN"] = dsn(port)
    os.environ.setdefault("AWS_REGION", "eu-west-1")
    # Stitching reads CloudWatch Logs, which is not here: its cost is measured on its
    # own, against moto (bench/stitching.py). Stage (3) is the path it leaves unread.
    os.environ["LOGSHIP_STITCHING"] = "off"
    import lambda_handler

    context = _Context()
    # The handler prints one JSON summary line per invocation (CloudWatch keeps it);
    # here it goes nowhere, but it is still rendered and written.
    devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process

    def stage(events: Sequence[LambdaEvent]) -> int:
        shipped = 0
        with contextlib.redirect_stdout(devnull):
            for event in events:
                summary = lambda_handler.handler(event, context)
                shipped += int(summary["shipped"])
        return shipped

    return stage


@dataclass(frozen=True, slots=True)
class Measure:
    """The timings of one stage over the whole corpus."""

    name: str
    seconds: list[float]
    result: int  # what the stage reports doing (characters, events built, events shipped)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def warm_up(
    stages: dict[str, Callable[[Sequence[LambdaEvent]], int]], events: Sequence[LambdaEvent]
) -> None:
    """One untimed pass on a tenth of the events: imports, the Lambda container, connections."""
    warm = events[: max(1, len(events) // 10)]
    for stage in stages.values():
        stage(warm)


def measure(
    stages: dict[str, Callable[[Sequence[LambdaEvent]], int]],
    events: Sequence[LambdaEvent],
    runs: int,
) -> dict[str, Measure]:
    """Time every stage ``runs`` times, interleaved run by run."""
    times: dict[str, list[float]] = {name: [] for name in stages}
    results: dict[str, int] = {}
    for _ in range(runs):
        for name, stage in stages.items():
            started = time.perf_counter()
            results[name] = stage(events)
            times[name].append(time.perf_counter() - started)
    return {name: Measure(name, times[name], results[name]) for name in stages}


# --------------------------------------------------------------------------- sink process


@contextlib.contextmanager
def sink_process() -> Iterator[int]:
    """Start :mod:`bench.sink_server` in its own process; yields its port."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.sink_server", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the sink server did not start: {line!r}")
        yield int(line.split()[1])
    finally:
        process.terminate()
        process.wait(timeout=10)


def sink_stats(port: int) -> dict[str, int]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=5) as response:
        stats: dict[str, int] = json.load(response)
    return stats


# --------------------------------------------------------------------------- cold start


def bytecode_env(cache: str) -> dict[str, str]:
    """The environment of a deployed Lambda bundle: every module's bytecode compiled beforehand.

    ``scripts/build-lambda.sh`` precompiles the bundle (the Lambda's file system
    is read-only, so without that every cold start compiles logship from
    source, as this machine's ``PYTHONDONTWRITEBYTECODE=1`` would too). Here the
    bytecode of everything imported goes to ``cache`` (``PYTHONPYCACHEPREFIX``),
    so that sentry_sdk and logship are measured on the same footing and
    nothing is written beside the sources.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def import_seconds(
    modules: Sequence[str], runs: int, env: dict[str, str] | None = None
) -> dict[str, list[float]]:
    """Seconds to import each of ``modules`` in fresh interpreters, interleaved run by run.

    The import alone is timed, not the interpreter's startup. A module may be
    several, comma-separated ("sentry_sdk, structlog").
    """
    out: dict[str, list[float]] = {module: [] for module in modules}
    for _ in range(runs):
        for module in modules:
            code = (
                "import time; started = time.perf_counter(); "
                f"import {module}; print(time.perf_counter() - started)"
            )
            done = subprocess.run(
                [sys.executable, "-c", code],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                env=env,
            )
            out[module].append(float(done.stdout.strip()))
    return out


def importtime_top(
    module: str, count: int = 10
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """``python -X importtime``: own time summed per top-level package, and the top modules."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    per_package: dict[str, int] = {}
    by_self: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line[len("import time:") :].split("|", 2)
        name = name.strip()
        by_self.append((int(self_us), name))
        package = name.split(".", 1)[0]
        per_package[package] = per_package.get(package, 0) + int(self_us)
    packages = sorted(((us, name) for name, us in per_package.items()), reverse=True)
    return packages[:count], sorted(by_self, reverse=True)[:count]


# --------------------------------------------------------------------------- memory


@dataclass(frozen=True, slots=True)
class ChildRun:
    """A child process's peak RSS, wall time and what it printed."""

    max_rss_mb: float
    seconds: float
    stdout: str
    returncode: int


def run_child(argv: list[str], *, env: dict[str, str] | None = None) -> ChildRun:
    """Run ``argv`` to completion and read its own peak RSS (``wait4``, not the group's)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    assert process.stdout is not None
    stdout = process.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    process.stdout.close()
    return ChildRun(
        max_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        seconds=time.perf_counter() - started,
        stdout=stdout,
        returncode=process.returncode,
    )


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def child_handler(event_path: str) -> int:
    """In a child process: import the handler, run it on one saved event, print figures."""
    import lambda_handler

    after_import = _rss_mb()
    with open(event_path, encoding="ascii") as file:
        event = json.load(file)  # the Lambda runtime parses the event before the handler
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        summary = lambda_handler.handler(event, _Context())
    elapsed = time.perf_counter() - started
    print(json.dumps({"after_import_mb": after_import, "seconds": elapsed, **summary}))
    return 0


def handler_memory(payload: Payload, port: int) -> tuple[ChildRun, dict[str, Any]]:
    """Peak RSS of a fresh handler process on ``payload``."""
    with tempfile.TemporaryDirectory(prefix="logship-bench-") as directory:
        path = Path(directory) / "event.json"
        path.write_text(json.dumps(payload.lambda_event()), encoding="ascii")
        env = {
            **os.environ,
            "SENTRY_DSN": dsn(port),
            "AWS_REGION": "eu-west-1",
            "LOGSHIP_STITCHING": "off",
        }
        child = run_child(
            [sys.executable, "-m", "bench.run", "--child-handler", str(path)], env=env
        )
    if child.returncode != 0:
        raise RuntimeError(f"the handler child failed with exit code {child.returncode}")
    return child, json.loads(child.stdout.strip().splitlines()[-1])


def replay_memory(size_mb: int, error_share: float, seed: int) -> tuple[ChildRun, int, int]:
    """Peak RSS of ``logship replay`` on a generated filter-log-events dump of ``size_mb``.

    The dump is written to a temporary directory, streaming, and deleted after.
    Returns the run, the dump's bytes and its events.
    """
    with tempfile.TemporaryDirectory(prefix="logship-bench-") as directory:
        path = Path(directory) / "dump.json"
        with path.open("w", encoding="utf-8") as out:
            stats = write_dump(out, total_bytes=size_mb * 2**20, error_share=error_share, seed=seed)
        child = run_child(
            [
                sys.executable,
                "-m",
                "logship",
                "replay",
                str(path),
                "--log-group",
                stats.log_group,
            ]
        )
    if child.returncode != 0:
        raise RuntimeError(f"logship replay failed with exit code {child.returncode}")
    return child, stats.bytes, stats.events


# --------------------------------------------------------------------------- report


def _rate(count: float, seconds: float) -> str:
    return f"{count / seconds:,.0f}" if seconds else "-"


def throughput_table(corpus: Corpus, results: dict[str, Measure]) -> str:
    """The table: events/s, MB/s and the share of the floor, per stage."""
    labels = {
        "floor": "(1) floor: base64+gunzip+json",
        "pipeline": "(2) pipeline -> event dicts",
        "lambda": "(3) lambda handler -> HTTP sink",
    }
    targets = {"pipeline": TARGET_PIPELINE, "lambda": TARGET_LAMBDA}
    base = results["floor"].median
    rows = [
        f"{'stage':34} {'median s':>9} {'events/s':>11} {'MB/s':>8} {'of floor':>9}  target",
    ]
    for name, result in results.items():
        seconds = result.median
        share = base / seconds if seconds else 0.0
        target = targets.get(name)
        verdict = ""
        if target is not None:
            verdict = f">= {target:.0%} {'met' if share >= target else 'NOT met'}"
        rows.append(
            f"{labels[name]:34} {seconds:9.3f} {_rate(corpus.events, seconds):>11} "
            f"{corpus.inflated_bytes / 1e6 / seconds:8.2f} {share:9.1%}  {verdict}"
        )
    return "\n".join(rows)


def corpus_line(corpus: Corpus) -> str:
    return (
        f"corpus: {len(corpus.payloads)} payloads from {corpus.streams} streams, "
        f"{corpus.events:,} events, {corpus.inflated_bytes / 1e6:.1f} MB inflated "
        f"({corpus.compressed_bytes / 1e6:.2f} MB gzip), "
        f"{corpus.error_events / max(1, corpus.events):.1%} of events in error entries "
        f"(asked {corpus.error_share:.0%}), seed {corpus.seed}"
    )


def profile_pipeline(events: Sequence[LambdaEvent], top: int = 25) -> str:
    """A cProfile of stage (2) on ``events``: the top functions by own time."""
    stage = pipeline_stage()
    stage(events[:1])
    profiler = cProfile.Profile()
    profiler.enable()
    stage(events)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark logship against the cost of decoding its input.",
    )
    parser.add_argument("--mb", type=float, default=24.0, help="inflated MB of payloads (24)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per stage (5)")
    parser.add_argument(
        "--error-share",
        type=float,
        default=DEFAULT_ERROR_SHARE,
        help="share of events in error entries (0.05)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--import-runs", type=int, default=7, help="fresh interpreters (7)")
    parser.add_argument("--no-lambda", action="store_true", help="skip stage (3)")
    parser.add_argument("--no-cold-start", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument(
        "--no-stitching", action="store_true", help="skip the cost of stitching (moto)"
    )
    parser.add_argument(
        "--big", action="store_true", help="also replay a 1 GB dump (takes minutes)"
    )
    parser.add_argument("--big-mb", type=int, default=1024, help="size of the --big dump (1024)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of stage (2)")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="print stage (2) cut after each stage, and the parts it cannot skip",
    )
    parser.add_argument("--tiny", action="store_true", help="a few payloads, one run of each")
    parser.add_argument("--child-handler", metavar="EVENT_JSON", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.tiny:
        args.mb, args.runs, args.import_runs = min(args.mb, 0.4), 1, 1
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_handler:
        return child_handler(args.child_handler)
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} CPUs; median of {args.runs} runs")
    corpus = build_corpus(
        total_bytes=int(args.mb * 2**20),
        error_share=args.error_share,
        seed=args.seed,
        max_payload=256 * 1024 if args.tiny else 1_048_576,
    )
    print(corpus_line(corpus))
    events = [payload.lambda_event() for payload in corpus.payloads]
    with contextlib.ExitStack() as stack:
        port = 0 if args.no_lambda and args.no_memory else stack.enter_context(sink_process())
        stages: dict[str, Callable[[Sequence[LambdaEvent]], int]] = {
            "floor": floor,
            "pipeline": pipeline_stage(),
        }
        if not args.no_lambda:
            stages["lambda"] = lambda_stage(port)
        warm_up(stages, events)
        before = 0 if args.no_lambda else sink_stats(port)["accepted"]
        results = measure(stages, events, args.runs)
        print()
        print(throughput_table(corpus, results))
        built = results["pipeline"].result
        print(f"per run: (2) built {built} Sentry events", end="")
        if not args.no_lambda:
            accepted = sink_stats(port)["accepted"] - before
            shipped = results["lambda"].result
            print(
                f"; (3) shipped {shipped}, the sink accepted"
                f" {accepted // args.runs if args.runs else 0} per run",
                end="",
            )
        print()
        if not args.no_cold_start:
            print()
            print(cold_start_report(args.import_runs))
        if not args.no_memory:
            print()
            print(memory_report(port, args))
    if not args.no_stitching:
        from bench.stitching import stitching_report

        print()
        print(stitching_report(corpus, args.runs, error_share=args.error_share, seed=args.seed))
    if args.big:
        print()
        print(big_report(args))
    if args.breakdown:
        from bench.breakdown import breakdown_report  # it imports this module

        print()
        print(breakdown_report(events, corpus.events, args.runs))
    if args.profile:
        print()
        print("cProfile of stage (2), top functions by own time:")
        print(profile_pipeline(events))
    return 0


def cold_start_report(runs: int) -> str:
    modules = ("sentry_sdk", "sentry_sdk, structlog", "lambda_handler")
    with tempfile.TemporaryDirectory(prefix="logship-pyc-") as cache:
        env = bytecode_env(cache)
        import_seconds(modules, 1, env)  # compiles everything into the cache
        compiled = {
            name: statistics.median(t) for name, t in import_seconds(modules, runs, env).items()
        }
    source = statistics.median(import_seconds(("lambda_handler",), runs)["lambda_handler"])
    handler_s, sdk_s = compiled["lambda_handler"], compiled["sentry_sdk"]
    ratio = handler_s / sdk_s if sdk_s else 0.0
    lines = [
        f"cold start (import in a fresh interpreter, bytecode precompiled as deployed, median of"
        f" {runs}, interleaved):",
        f"  import lambda_handler  {handler_s * 1000:7.1f} ms   target <"
        f" {TARGET_IMPORT_S * 1000:.0f} ms: {'met' if handler_s < TARGET_IMPORT_S else 'NOT met'}",
        f"  import sentry_sdk      {sdk_s * 1000:7.1f} ms   ratio {ratio:.2f}x, target <="
        f" {TARGET_IMPORT_RATIO}x: {'met' if ratio <= TARGET_IMPORT_RATIO else 'NOT met'}",
        f"  import sentry_sdk, structlog {compiled['sentry_sdk, structlog'] * 1000:7.1f} ms"
        " (for reference)",
        f"  import lambda_handler, logship compiled from source: {source * 1000:.1f} ms (a bundle"
        " without bytecode, or PYTHONDONTWRITEBYTECODE=1)",
        "  python -X importtime -c 'import lambda_handler': own time per package (us,"
        " inflated by the tracing itself, bytecode as on this machine):",
    ]
    top_level, by_self = importtime_top("lambda_handler")
    lines += [f"    {micros:>8}  {name}" for micros, name in top_level]
    lines.append("  ... and the modules with the most own time (us):")
    lines += [f"    {micros:>8}  {name}" for micros, name in by_self]
    return "\n".join(lines)


def memory_report(port: int, args: argparse.Namespace) -> str:
    kinds = ("batch",) if args.tiny else ("batch", "invoke")
    lines = ["memory of one fresh handler process on the largest payloads (peak RSS):"]
    for kind in kinds:
        payload = largest_payload(kind, error_share=args.error_share)
        child, summary = handler_memory(payload, port)
        lines.append(
            f"  {kind:6} {payload.events:>6} events, {len(payload.data) / 1024:6.0f} KiB gzip,"
            f" {payload.inflated_bytes / 2**20:5.2f} MiB inflated: peak {child.max_rss_mb:6.1f} MB"
            f" (after import {summary['after_import_mb']:.1f} MB), handler"
            f" {summary['seconds'] * 1000:.0f} ms, {summary['shipped']} shipped"
        )
    lines.append(
        "  batch: a full PutLogEvents batch (1,048,576 bytes or 10,000 events);"
        " invoke: as much as fits the 1 MB asynchronous invocation limit"
    )
    return "\n".join(lines)


def big_report(args: argparse.Namespace) -> str:
    child, size, events = replay_memory(args.big_mb, args.error_share, args.seed)
    verdict = "met" if child.max_rss_mb < TARGET_REPLAY_RSS_MB else "NOT met"
    return (
        f"logship replay of a {size / 2**20:,.0f} MiB filter-log-events dump ({events:,} events):"
        f" peak RSS {child.max_rss_mb:.1f} MB (target < {TARGET_REPLAY_RSS_MB} MB: {verdict}),"
        f" {child.seconds:.0f} s, {size / 1e6 / child.seconds:.1f} MB/s"
    )


if __name__ == "__main__":
    sys.exit(main())
