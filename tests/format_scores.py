"""Score logship on the framework fixtures in ``tests/formats/`` (issue 13).

Each ``tests/formats/<name>/`` holds what one framework printed (``output.log``)
and which lines form each entry (``truth.json``, see that directory's README).
The output goes through logship two ways:

- **replay**: one event per line into :func:`logship.pipeline.errors`, event by
  event, as ``logship replay`` reads a dump;
- **lambda**: ``lambda_handler.handler`` called once with one CloudWatch
  subscription payload holding the whole output as one stream, shipping to a
  fake Sentry on 127.0.0.1; what it received is scored.

Both paths see one event per line, 1 ms apart, as the ECS awslogs driver sends
them. ``python tests/format_scores.py`` prints the table of ``docs/formats.md``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMATS = Path(__file__).resolve().parent / "formats"
GROUP = "/ecs/payment-service"
STREAM = "ecs/payment-service/0123456789abcdef"
T0 = 1_714_557_600_000  # 2024-05-01T10:00:00Z


def framework_names(root: Path = FORMATS) -> list[str]:
    """The framework directories that hold a captured output and its truth."""
    return sorted(
        path.parent.name
        for path in root.glob("*/truth.json")
        if (path.parent / "output.log").is_file()
    )


def load(name: str, root: Path = FORMATS) -> tuple[list[str], dict[str, Any]]:
    """One framework's output lines and truth."""
    directory = root / name
    text = (directory / "output.log").read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    truth: dict[str, Any] = json.loads((directory / "truth.json").read_text(encoding="utf-8"))
    return lines, truth


def event_id(line: int) -> str:
    """The CloudWatch event id of output line ``line`` (0-based): its number, 56 digits."""
    return f"{line:056d}"


def events(lines: Sequence[str]) -> list[tuple[str, int, str]]:
    """One event per line, 1 ms apart."""
    return [(event_id(i), T0 + i, line) for i, line in enumerate(lines)]


def subscription_event(lines: Sequence[str]) -> dict[str, Any]:
    """The Lambda event of one CloudWatch subscription payload holding every line."""
    from logship.decode import encode_payload, lambda_event

    return lambda_event(encode_payload(GROUP, STREAM, events(lines)))


@dataclass(frozen=True, slots=True)
class Found:
    """One error as logship reported it: its lines, fingerprint and logger."""

    lines: frozenset[int]
    fingerprint: tuple[str, ...]
    logger: str


def replay(lines: Sequence[str]) -> list[Found]:
    """The errors the replay pipeline reports, event by event."""
    from logship.config import Config
    from logship.decode import from_lambda_event
    from logship.pipeline import RunReport, errors

    found = errors(from_lambda_event(subscription_event(lines)), Config(), RunReport())
    return [
        Found(
            lines=frozenset(int(i) for i in item.error.record.event_ids),
            fingerprint=item.fingerprint,
            logger=item.error.logger,
        )
        for item in found
    ]


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def through_lambda(lines: Sequence[str]) -> list[Found]:
    """The errors ``lambda_handler.handler`` ships for one payload holding every line."""
    import io
    from contextlib import redirect_stdout

    from fakesentry import fake_sentry
    from lambda_payloads import FakeContext

    import lambda_handler
    from logship import aws_lambda

    with fake_sentry() as server:
        aws_lambda.container.cache_clear()
        aws_lambda._log.cache_clear()
        try:
            with (
                _environment(SENTRY_DSN=server.dsn, AWS_REGION="eu-west-1"),
                redirect_stdout(io.StringIO()),
            ):
                lambda_handler.handler(subscription_event(lines), FakeContext())
        finally:
            aws_lambda.container.cache_clear()
            aws_lambda._log.cache_clear()
        received = server.events
    found = []
    for event in received:
        cloudwatch = event["contexts"]["cloudwatch"]
        ids = [int(i) for i in cloudwatch["event_ids"]]
        if cloudwatch["event_count"] > len(ids):
            # The event lists the first ids of a long record only. The assembler
            # joins consecutive events of a stream, so the rest follow them.
            ids = list(range(ids[0], ids[0] + cloudwatch["event_count"]))
        found.append(
            Found(
                lines=frozenset(ids),
                fingerprint=tuple(event["fingerprint"]),
                logger=event.get("logger", ""),
            )
        )
    return found


@dataclass
class Score:
    """One framework on one path, against its truth.

    ``markable`` are the error entries the format marks as errors (a trace, or a
    level); an untyped error in a level-less format is counted in
    ``not_markable`` and scored nowhere. ``pairs`` are the groups of two or more
    markable entries; ``pairs_joined`` those that got one fingerprint.
    ``apart``: no fingerprint is shared by two groups. ``loggers`` are the
    markable entries whose format prints a logger; ``loggers_found`` those
    reported with exactly that name.
    """

    name: str
    path: str
    markable: int = 0
    not_markable: int = 0
    one: int = 0
    exact: int = 0
    pairs: int = 0
    pairs_joined: int = 0
    apart: bool = True
    loggers: int = 0
    loggers_found: int = 0
    false_errors: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """The issue's "done when" for this framework."""
        return (
            self.one == self.markable
            and self.exact == self.markable
            and self.pairs_joined == self.pairs
            and self.apart
            and self.loggers_found == self.loggers
            and self.false_errors == 0
        )


def markable(entry: dict[str, Any]) -> bool:
    """Whether the format marks ``entry`` as an error: a trace, or a level that says so."""
    return bool(entry["error"]) and (
        bool(entry.get("types")) or bool(entry.get("level_marks_error", True))
    )


def score(name: str, path: str, truth: dict[str, Any], found: list[Found]) -> Score:
    """Score the errors ``found`` on one path against ``truth``."""
    result = Score(name=name, path=path)
    entries = truth["entries"]
    error_lines: set[int] = set()
    for entry in entries:
        if entry["error"]:
            error_lines.update(range(entry["first"], entry["last"] + 1))
    fingerprints: dict[str, list[tuple[str, ...]]] = {}
    for entry in entries:
        if not entry["error"]:
            continue
        if not markable(entry):
            result.not_markable += 1
            continue
        result.markable += 1
        wanted = frozenset(range(entry["first"], entry["last"] + 1))
        hits = [item for item in found if item.lines & wanted]
        if len(hits) != 1:
            result.problems.append(f"{entry['id']}: found as {len(hits)} errors")
            continue
        (hit,) = hits
        result.one += 1
        if hit.lines == wanted:
            result.exact += 1
        else:
            result.problems.append(
                f"{entry['id']}: lines {sorted(hit.lines)[:3]}..{max(hit.lines)},"
                f" wanted {entry['first']}..{entry['last']}"
            )
        fingerprints.setdefault(entry["group"], []).append(hit.fingerprint)
        if entry.get("logger"):
            result.loggers += 1
            if hit.logger == entry["logger"]:
                result.loggers_found += 1
            else:
                result.problems.append(
                    f"{entry['id']}: logger {hit.logger!r}, wanted {entry['logger']!r}"
                )
    sizes: dict[str, int] = {}
    for entry in entries:
        if markable(entry):
            sizes[entry["group"]] = sizes.get(entry["group"], 0) + 1
    for group, size in sizes.items():
        if size < 2:
            continue
        result.pairs += 1
        keys = fingerprints.get(group, [])
        if len(keys) == size and len(set(keys)) == 1:
            result.pairs_joined += 1
        else:
            result.problems.append(f"group {group}: {sorted(set(keys))} for {size} entries")
    unprinted = {entry["group"] for entry in entries if entry.get("root_cause_printed") is False}
    owners: dict[tuple[str, ...], set[str]] = {}
    for group, keys in fingerprints.items():
        for key in keys:
            owners.setdefault(key, set()).add(group)
    printed_types = {
        entry["group"]: tuple(entry.get("types") or ()) for entry in entries if markable(entry)
    }
    for key, groups in owners.items():
        # A format that drops the cause chain prints the same thing for both roots
        # (truth's "root_cause_printed": false, or the same printed types, as
        # Ruby's Logger prints only the outer exception): nothing tells them apart.
        told = [group for group in groups if group not in unprinted]
        same_types = len({printed_types[group] for group in groups}) == 1 and all(
            printed_types[group] for group in groups
        )
        if len(groups) > 1 and len(told) > 1 and not same_types:
            result.apart = False
            result.problems.append(f"groups {sorted(groups)} share {key}")
        elif len(groups) > 1:
            result.notes.append(f"groups {sorted(groups)} share a key: no root cause printed")
    for item in found:
        if not item.lines & error_lines:
            result.false_errors += 1
            result.problems.append(f"false error at lines {min(item.lines)}..{max(item.lines)}")
    return result


def score_framework(name: str, root: Path = FORMATS) -> tuple[Score, Score]:
    """One framework scored on both paths: (replay, lambda)."""
    lines, truth = load(name, root)
    return (
        score(name, "replay", truth, replay(lines)),
        score(name, "lambda", truth, through_lambda(lines)),
    )


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole}" if whole else "-"


def table(scores: Sequence[tuple[Score, Score]]) -> str:
    """The per-framework table of ``docs/formats.md`` (replay; the Lambda path when it differs)."""
    rows = [
        "| framework | errors marked | one error | exact lines | pairs in one issue"
        " | roots apart | logger | false errors | not markable |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for replayed, handled in scores:
        cells = []
        for attribute in ("one", "exact", "pairs_joined", "apart", "loggers_found", "false_errors"):
            values = []
            for one in (replayed, handled):
                if attribute == "one":
                    values.append(_ratio(one.one, one.markable))
                elif attribute == "exact":
                    values.append(_ratio(one.exact, one.markable))
                elif attribute == "pairs_joined":
                    values.append(_ratio(one.pairs_joined, one.pairs))
                elif attribute == "apart":
                    if one.notes and one.apart:
                        values.append("n/a: root not printed")
                    else:
                        values.append("yes" if one.apart else "no")
                elif attribute == "loggers_found":
                    values.append(_ratio(one.loggers_found, one.loggers))
                else:
                    values.append(str(one.false_errors))
            cells.append(values[0] if values[0] == values[1] else f"{values[0]} (λ {values[1]})")
        not_markable = str(replayed.not_markable) if replayed.not_markable else "-"
        head = f"| {replayed.name} | {replayed.markable} | "
        rows.append(head + " | ".join(cells) + f" | {not_markable} |")
    return "\n".join(rows)


def main(argv: Sequence[str]) -> None:
    """Print the table for the fixtures under ``argv[0]`` (default: ``tests/formats``)."""
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here.parent), str(here)]
    root = Path(argv[0]) if argv else FORMATS
    scores = [score_framework(name, root) for name in framework_names(root)]
    print(table(scores))
    for replayed, handled in scores:
        for one in (replayed, handled):
            for problem in one.problems:
                print(f"{one.name} ({one.path}): {problem}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
