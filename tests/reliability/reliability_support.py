"""Helpers of the reliability suite: invoke the real handler, check and record each case.

Every test records the cases it tried with :func:`record`; ``conftest.py``
prints them as one table at the end of the session, so a CI run's log shows
what was tried and what came of it, with the run's counts and whether they
added up.
"""

from __future__ import annotations

import io
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # the shared helpers beside the unit tests

from fake_time import FakeTime  # noqa: E402
from lambda_payloads import REGION, FakeContext  # noqa: E402

from logship.aws_lambda import event_settings_for, handle, make_logger  # noqa: E402
from logship.config import Config  # noqa: E402
from logship.exceptions import DeliveryError  # noqa: E402
from logship.settings import Settings  # noqa: E402
from logship.sink import RetryPolicy, SentrySink  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
PROGRAMS = Path(__file__).resolve().parent / "programs"
# Short enough for a test suite, long enough to see a retry succeed.
QUICK = RetryPolicy(attempt_timeout_s=1.0, connect_timeout_s=0.5, backoff_base_s=0.05)


@dataclass
class Case:
    """One row of the table: what was fed in and what came out."""

    suite: str
    name: str
    outcome: str
    counts: dict[str, Any] = field(default_factory=dict)


CASES: list[Case] = []


@dataclass
class Invocation:
    """What one handler run produced."""

    response: dict[str, Any] | DeliveryError
    summary: dict[str, Any]
    seconds: float  # for the table only: tests assert on ``waits``, never on wall-clock time
    waits: FakeTime  # the sink's clock and the sleeps it chose (which cost no time)

    @property
    def raised(self) -> bool:
        return isinstance(self.response, DeliveryError)


def invoke(
    event: dict[str, Any],
    dsn: str,
    *,
    config: Config | None = None,
    remaining_ms: int = 30_000,
    policy: RetryPolicy = QUICK,
) -> Invocation:
    """One invocation of the real handler with a fresh :class:`SentrySink` to ``dsn``."""
    out = io.StringIO()
    config = config or Config()
    settings = Settings(dsn=dsn, region=REGION, flush_margin_ms=500)
    waits = FakeTime(follow_real_time=True)
    sink = SentrySink(dsn, policy=policy, clock=waits.clock, sleep=waits.sleep)
    started = time.monotonic()
    try:
        response: dict[str, Any] | DeliveryError = handle(
            event,
            FakeContext(remaining_ms),
            settings=settings,
            config=config,
            event_settings=event_settings_for(settings, config),
            sink=sink,
            log=make_logger(out),
        )
    except DeliveryError as exc:
        response = exc
    finally:
        sink.close()
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return Invocation(response, json.loads(lines[0]), time.monotonic() - started, waits)


def assert_balanced(summary: dict[str, Any]) -> None:
    """The run's invariants: every event and every error in exactly one bucket."""
    assert summary["events_received"] == (
        summary["events_invalid"] + summary["events_not_errors"] + summary["events_in_errors"]
    ), summary
    assert summary["errors"] == (
        summary["shipped"] + summary["ignored"] + summary["suppressed"] + summary["failed"]
    ), summary
    assert summary["pending"] == 0, summary
    assert summary["balanced"] is True, summary


def record(suite: str, name: str, outcome: str, summary: dict[str, Any] | None = None) -> None:
    """Add a row to the table printed at the end of the session."""
    counts: dict[str, Any] = {}
    if summary is not None:
        counts = {
            key: summary.get(key)
            for key in (
                "events_received",
                "events_invalid",
                "control_messages",
                "errors",
                "shipped",
                "ignored",
                "suppressed",
                "failed",
                "balanced",
            )
        }
    CASES.append(Case(suite, name, outcome, counts))


_COLUMNS = (
    ("events_received", "recv"),
    ("events_invalid", "invalid"),
    ("control_messages", "ctrl"),
    ("errors", "errors"),
    ("shipped", "shipped"),
    ("ignored", "ignored"),
    ("suppressed", "suppr"),
    ("failed", "failed"),
    ("balanced", "ok"),
)


def render(cases: list[Case]) -> list[str]:
    """The table's lines: suite, case, counts, outcome."""
    headers = ["suite", "case", *(label for _, label in _COLUMNS), "outcome"]
    rows = [
        [
            case.suite,
            case.name,
            *("" if case.counts.get(key) is None else str(case.counts[key]) for key, _ in _COLUMNS),
            case.outcome,
        ]
        for case in cases
    ]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers) - 1)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)) + "  " + cells[-1]

    return [line(headers), line(["-" * w for w in widths] + ["-" * 7]), *map(line, rows)]
