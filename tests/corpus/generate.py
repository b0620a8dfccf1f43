"""Regenerate the evaluation corpus: real runtimes, CloudWatch payloads, ground truth.

Run from anywhere: ``python tests/corpus/generate.py``. It needs python3, javac/java 17
and node 20 on PATH, and only 127.0.0.1 networking.

1. Each service "runs" a small program under ``programs/`` (Java, Python, Node) with a
   plan of steps: INFO/WARN noise and failure scenarios that raise real exceptions
   (socket timeouts against a 127.0.0.1 listener that never answers, refused
   connections, int/JSON parsing, NPEs, fetch failures...) and log them the way such
   services do. Each program writes, beside its stdout, a side-channel manifest: one
   JSON line per log entry with its line count, whether it is an error and its
   scenario. The log text carries no markers.
2. Every entry's lines become CloudWatch events of the task's log stream: one event
   per line (the awslogs default) or, for the streams in multiline mode, one event
   per entry. Timestamps and 56-digit event ids are synthetic and increasing.
3. Each stream's events are cut into subscription payloads of random sizes (so traces
   cross payload boundaries), payloads of all streams are interleaved by time, and a
   few adjacent payloads of one stream are swapped within the assembler's reorder
   window (a payload delivered a little late).
4. Written: ``data/subscription-events.jsonl.gz`` (one Lambda subscription event per
   line), ``data/truth.json.gz`` (per entry: stream, event ids, error, label) and the
   README sample ``examples/sample-subscription-events.jsonl.gz``.

The label of an error is ``service:scenario``: the grouping a person would want.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PROGRAMS = HERE / "programs"
DATA = HERE / "data"
EXAMPLES = ROOT / "examples"
SEED = 20240501
OWNER = "123456789012"
T0 = 1_714_557_600_000  # 2024-05-01T10:00:00Z
REORDER_WINDOW_MS = 2_000  # logship.config.AssemblyLimits.reorder_window_ms
SWAPS = 6

sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------- plans

FIRST = ["alice", "bob", "carol", "dmitri", "emma", "farid", "grace", "hiro", "ines", "jonas"]
DOMAINS = ["example.com", "example.org", "mail.test", "shop.example"]


@dataclass
class Data:
    """Variable data: every occurrence of a failure gets its own ids, users, amounts."""

    rng: random.Random

    def num(self, low: int = 100, high: int = 99_999) -> int:
        return self.rng.randint(low, high)

    def user(self) -> str:
        return self.rng.choice(FIRST)

    def email(self) -> str:
        return f"{self.user()}.{self.num(1, 99)}@{self.rng.choice(DOMAINS)}"

    def amount(self) -> str:
        return f"{self.num(1, 900)}.{self.num(0, 99):02d}"

    def sku(self) -> str:
        return f"SKU-{self.num(1000, 9999)}"

    def iso(self) -> str:
        return (
            f"2024-04-{self.num(10, 30)}T{self.num(10, 23)}:{self.num(10, 59)}:{self.num(10, 59)}Z"
        )


# Scenario name -> args builder, per program. The programs name the same scenarios.
JAVA_ORDER: dict[str, Callable[[Data], dict[str, Any]]] = {
    "timeout": lambda d: {"order": d.num()},
    "nfe": lambda d: {
        "raw": f"{d.num(1, 9)}{d.rng.choice('xo,')}",
        "order": d.num(),
        "email": d.email(),
    },
    "npe": lambda d: {"order": d.num()},
    "refused": lambda d: {"sku": d.sku(), "order": d.num()},
    "state": lambda d: {"order": d.num(), "state": "NEW"},
    "suppressed": lambda d: {"batch": d.num()},
    "uncaught": lambda d: {"worker": d.num(1, 8), "slot": d.num(3, 9)},
    "untyped": lambda d: {"order": d.num(), "amount": d.amount(), "expected": d.amount()},
    "overflow": lambda d: {"order": d.num()},
}
JAVA_PAYMENT: dict[str, Callable[[Data], dict[str, Any]]] = {
    "timeout": lambda d: {"order": d.num()},
    "nfe": lambda d: {"raw": d.amount(), "order": d.num(), "email": d.email()},
    "refused": lambda d: {"order": d.num()},
    "declined": lambda d: {"email": d.email(), "amount": d.amount()},
    "arith": lambda d: {"total": d.num(), "order": d.num()},
    "receipt": lambda d: {"order": d.num()},
    "untyped": lambda d: {"refund": d.num(), "user": d.user(), "since": d.iso()},
}
PY_MEMBER: dict[str, Callable[[Data], dict[str, Any]]] = {
    "timeout": lambda d: {"member": d.num(), "email": d.email()},
    "refused": lambda d: {"member": d.num()},
    "json": lambda d: {
        "body": d.rng.choice(['{"tier": "gold",', "{'tier': 1}", '{"a" 1}']),
        "user": d.user(),
    },
    "keyerror": lambda d: {"member": d.num(), "user": d.user()},
    "int": lambda d: {
        "member": d.num(),
        "raw": f"{d.num(1, 99)}{d.rng.choice(['k', ' pts', 'x'])}",
    },
    "untyped": lambda d: {"member": d.num(), "card": str(d.num(1000, 9999)), "email": d.email()},
    "print_exc": lambda d: {"parcels": [d.num() for _ in range(d.num(0, 2))], "index": d.num(3, 6)},
    "context": lambda d: {"member": d.num(), "raw": d.rng.choice(["N/A", "12-AB", "?"])},
    "group": lambda d: {"skus": [d.sku() for _ in range(d.num(2, 3))], "batch": d.num()},
    "attr": lambda d: {"member": d.num()},
}
PY_SHIPPING = {k: PY_MEMBER[k] for k in ("timeout", "refused", "group", "context", "untyped")}
PY_CATALOG: dict[str, Callable[[Data], dict[str, Any]]] = {
    "timeout": lambda d: {"sku": d.sku()},
    "refused": lambda d: {"sku": d.sku()},
    "json": lambda d: {
        "body": d.rng.choice(["{", '{"price": }', "[1, 2,"]),
        "feed": d.rng.choice(["eu", "us"]),
    },
    "zero": lambda d: {"sku": d.sku()},
    "keyerror": lambda d: {"sku": d.sku(), "attribute": d.rng.choice(["size", "weight"])},
    "untyped": lambda d: {"count": d.num(2, 500), "age": d.num(31, 900)},
}
NODE_CART: dict[str, Callable[[Data], dict[str, Any]]] = {
    "refused": lambda d: {"sku": d.sku(), "cart": d.num()},
    "timeout": lambda d: {"sku": d.sku()},
    "json": lambda d: {
        "body": d.rng.choice(["{bad", '{"items": [}', "undefined"]),
        "cart": d.num(),
    },
    "property": lambda d: {"sku": d.sku(), "cart": d.num(), "quantity": d.num(1, 5)},
    "cause": lambda d: {"cart": d.num(), "quantity": d.num(1, 9)},
    "generic": lambda d: {
        "cart": d.num(),
        "coupon": f"{d.rng.choice(['SPRING', 'WELCOME', 'SUMMER'])}{d.num(10, 99)}",
        "date": d.iso()[:10],
    },
    "untyped": lambda d: {"cart": d.num(), "quantity": d.num(1, 9), "user": d.user()},
}
NODE_NOTIFY: dict[str, Callable[[Data], dict[str, Any]]] = {
    "smtp": lambda d: {"email": d.email()},
    "template": lambda d: {"template": d.rng.choice(["welcome", "reset", "receipt"])},
    "json": lambda d: {"body": d.rng.choice(["{", "{'a': 1}", '{"ok": tru}'])},
    "untyped": lambda d: {"device": d.num(), "attempts": d.num(2, 9)},
}

NOISE = [
    "GET /health 200 in {n}ms",
    "GET /api/items/{n} 200 in {n}ms",
    "POST /api/items/{n}/events 202 in {n}ms",
    "cache hit ratio {n}% over the last minute",
    "processed {n} messages from the queue, 0 errors",
    "retrying request {n} after an earlier error was resolved",
    "user session {n} refreshed",
    "scheduled job report-{n} finished in {n}ms",
    "connection pool: {n} active, {n} idle",
    "feature flag checkout-v2 evaluated for {n} users",
]
WARNINGS = [
    "slow query took {n}ms",
    "deprecated endpoint /v1/items called {n} times",
    "retrying upstream call, attempt {n}",
]
JAVA_LOGGERS = ["com.shop.web.RequestLogger", "com.shop.jobs.Scheduler", "org.hibernate.SQL"]


def noise(data: Data, program: str) -> dict[str, Any]:
    """An INFO (or now and then WARN) step, with the program's own argument names."""
    warn = data.rng.random() < 0.08
    template = data.rng.choice(WARNINGS if warn else NOISE)
    text = template.replace("{n}", "{}").format(
        *(data.num(1, 999) for _ in range(template.count("{n}")))
    )
    args: dict[str, Any] = {"text": text, "n": data.num(), "rid": f"req-{data.num()}"}
    if program == "java":
        args["logger"] = data.rng.choice(JAVA_LOGGERS)
    if program == "python" and not warn and data.rng.random() < 0.04:
        settings = {"pool_size": data.num(2, 20), "timeout": f"{data.num(1, 30)}s"}
        return {"do": "info_block", "args": {"settings": settings}}
    return {"do": "warn" if warn else "info", "args": args}


def plans(
    data: Data, scenarios: dict[str, Callable[[Data], dict[str, Any]]], tasks: int, program: str
) -> list[list[dict[str, Any]]]:
    """Per task, a plan: each scenario 3-5 times over the tasks, INFO noise in between."""
    occurrences = [name for name in scenarios for _ in range(data.rng.randint(3, 5))]
    data.rng.shuffle(occurrences)
    per_task: list[list[dict[str, Any]]] = [[] for _ in range(tasks)]
    for index, name in enumerate(occurrences):
        steps = per_task[index % tasks]
        steps.extend(noise(data, program) for _ in range(data.rng.randint(3, 18)))
        steps.append({"do": name, "args": scenarios[name](data)})
    for steps in per_task:
        steps.extend(noise(data, program) for _ in range(data.rng.randint(3, 10)))
    return per_task


# --------------------------------------------------------------------------- runs


@dataclass
class Entry:
    """One logical log entry, as the program wrote it."""

    lines: list[str]
    error: bool
    label: str | None


@dataclass
class Task:
    """One container of a service: one log stream."""

    service: str
    task_id: str
    multiline: bool
    entries: list[Entry] = field(default_factory=list)

    @property
    def log_group(self) -> str:
        return f"/ecs/{self.service}"

    @property
    def log_stream(self) -> str:
        return f"ecs/{self.service}/{self.task_id}"


def _normalise(text: str) -> str:
    """Paths that depend on this machine become the paths of a container."""
    stdlib = sysconfig.get_paths()["stdlib"]
    return text.replace(str(PROGRAMS), "/app").replace(stdlib, "/usr/local/lib/python3.11")


def _entries(stdout: str, manifest: Path, service: str) -> list[Entry]:
    lines = _normalise(stdout).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    entries: list[Entry] = []
    position = 0
    for row in manifest.read_text(encoding="utf-8").splitlines():
        note = json.loads(row)
        chunk = lines[position : position + note["lines"]]
        position += note["lines"]
        label = f"{service}:{note['label']}" if note["label"] else None
        entries.append(Entry(chunk, bool(note["error"]), label))
    if position != len(lines):
        raise SystemExit(f"{service}: manifest covers {position} of {len(lines)} lines")
    return entries


def run_program(
    command: list[str], plan: list[dict[str, Any]], service: str, work: Path, java: bool
) -> list[Entry]:
    """Run one task's program with its plan; its entries from stdout and the manifest."""
    plan_file = work / f"{service}-{len(list(work.iterdir()))}.plan"
    manifest = work / f"{plan_file.name}.manifest"
    if java:
        rows = [
            "\t".join([step["do"], *(f"{k}={v}" for k, v in step["args"].items())]) for step in plan
        ]
        plan_file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    else:
        plan_file.write_text(json.dumps(plan), encoding="utf-8")
    result = subprocess.run(
        [*command, str(plan_file), str(manifest), *([] if java else [service])],
        capture_output=True,
        text=True,
        cwd=PROGRAMS,
        check=False,
        timeout=300,
    )
    if result.returncode != 0:
        raise SystemExit(f"{service}: {command} failed:\n{result.stderr}")
    return _entries(result.stdout, manifest, service)


def run_crash(kind: str, ident: int) -> list[Entry]:
    """A cart-service task that dies: three INFO lines, then Node's own crash report."""
    result = subprocess.run(
        ["node", "crash.js", kind, str(ident)],
        capture_output=True,
        text=True,
        cwd=PROGRAMS,
        check=False,
    )
    entries = [Entry([line], False, None) for line in _normalise(result.stdout).splitlines()]
    crash = _normalise(result.stderr).rstrip("\n").split("\n")
    entries.append(Entry(crash, True, f"cart-service:crash_{kind}"))
    return entries


def collect(data: Data, work: Path) -> list[Task]:
    """Run every service's tasks."""
    classes = work / "classes"
    java_sources = [str(path) for path in (PROGRAMS / "java").rglob("*.java")]
    subprocess.run(["javac", "-d", str(classes), *java_sources], check=True)
    python = [sys.executable, "-X", "utf8"]
    services: list[
        tuple[str, list[str], dict[str, Callable[[Data], dict[str, Any]]], str, list[bool]]
    ] = [
        (
            "order-service",
            ["java", "-cp", str(classes), "com.shop.order.OrderService"],
            JAVA_ORDER,
            "java",
            [False, False],
        ),
        (
            "payment-service",
            ["java", "-cp", str(classes), "com.shop.payment.PaymentService"],
            JAVA_PAYMENT,
            "java",
            [False, True],
        ),
        ("member-service", [*python, "member_service.py"], PY_MEMBER, "python", [False, False]),
        ("shipping-service", [*python, "member_service.py"], PY_SHIPPING, "python", [True]),
        ("catalog-service", [*python, "catalog_service.py"], PY_CATALOG, "python", [False, False]),
        ("cart-service", ["node", "cart_service.js"], NODE_CART, "node", [False, False]),
        (
            "notification-service",
            ["node", "notification_service.js"],
            NODE_NOTIFY,
            "node",
            [False, False],
        ),
    ]
    tasks: list[Task] = []
    for service, command, scenarios, program, modes in services:
        for plan, multiline in zip(plans(data, scenarios, len(modes), program), modes, strict=True):
            task = Task(service, f"{data.rng.getrandbits(128):032x}", multiline)
            task.entries = run_program(command, plan, service, work, java=program == "java")
            tasks.append(task)
            print(f"  {task.log_stream}: {len(task.entries)} entries", file=sys.stderr)
    for kind, idents in (("throw", [13, 22, 57]), ("reject", [d * 7 for d in (3, 11)])):
        for ident in idents:
            task = Task("cart-service", f"{data.rng.getrandbits(128):032x}", False)
            task.entries = run_crash(kind, ident)
            tasks.append(task)
    return tasks


# --------------------------------------------------------------------------- payloads


@dataclass
class Event:
    event_id: str
    timestamp: int
    message: str


@dataclass
class Payload:
    task: Task
    events: list[Event]

    @property
    def first(self) -> int:
        return self.events[0].timestamp

    @property
    def last(self) -> int:
        return self.events[-1].timestamp


def to_events(
    task: Task, data: Data, counter: list[int]
) -> tuple[list[Event], list[dict[str, Any]]]:
    """The task's CloudWatch events and the ground truth of its entries."""
    clock = T0 + data.num(0, 3_000)
    events: list[Event] = []
    truth: list[dict[str, Any]] = []

    def new_event(timestamp: int, message: str) -> Event:
        counter[0] += 1
        event = Event(f"{timestamp:013d}{counter[0]:043d}", timestamp, message)
        events.append(event)
        return event

    for entry in task.entries:
        clock += data.rng.randint(2, 700)
        if task.multiline:
            ids = [new_event(clock, "\n".join(entry.lines)).event_id]
        else:
            # A trace's lines are read within a millisecond or two of each other.
            ids = [
                new_event(clock + index // 200, line).event_id
                for index, line in enumerate(entry.lines)
            ]
            clock += len(entry.lines) // 200
        truth.append(
            {
                "log_group": task.log_group,
                "log_stream": task.log_stream,
                "event_ids": ids,
                "error": entry.error,
                "label": entry.label,
            }
        )
    return events, truth


def batch(task: Task, events: list[Event], data: Data) -> list[Payload]:
    payloads: list[Payload] = []
    position = 0
    while position < len(events):
        size = data.rng.choice([1, 2, 3, 5, 8, 13, 21, 34, 55, 89])
        payloads.append(Payload(task, events[position : position + size]))
        position += size
    return payloads


def interleave(payloads: list[Payload], data: Data) -> list[Payload]:
    """All streams' payloads by time; a few of one stream swapped within the window."""
    ordered = sorted(payloads, key=lambda payload: payload.first)  # stable: per-stream order kept
    swapped = 0
    for _ in range(10_000):
        if swapped == SWAPS:
            break
        i = data.rng.randrange(len(ordered))
        j = next(
            (k for k in range(i + 1, len(ordered)) if ordered[k].task is ordered[i].task), None
        )
        if j is None:
            continue
        early, late = ordered[i], ordered[j]
        if early.last < late.first and late.last - early.first < REORDER_WINDOW_MS:
            ordered[i], ordered[j] = late, early
            swapped += 1
    return ordered


def write_events(path: Path, payloads: Iterable[Payload]) -> int:
    from logship.decode import encode_payload, lambda_event

    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as out:
        for payload in payloads:
            raw = encode_payload(
                payload.task.log_group,
                payload.task.log_stream,
                [(e.event_id, e.timestamp, e.message) for e in payload.events],
            )
            out.write(json.dumps(lambda_event(raw)) + "\n")
            count += len(payload.events)
    return count


def sample(
    tasks: list[Task],
    events_by_task: dict[str, list[Event]],
    truth: list[dict[str, Any]],
    data: Data,
) -> list[Payload]:
    """A few hundred events for the README: the first entries of each service's first task."""
    wanted: dict[str, set[str]] = {}
    seen_services: set[str] = set()
    for task in tasks:
        if task.service in seen_services:
            continue
        seen_services.add(task.service)
        entries = [row for row in truth if row["log_stream"] == task.log_stream]
        ids: set[str] = set()
        for row in entries:
            if len(ids) > 60 and not row["error"]:
                break
            ids.update(row["event_ids"])
        wanted[task.log_stream] = ids
    payloads: list[Payload] = []
    for task in tasks:
        ids = wanted.get(task.log_stream)
        if ids:
            chosen = [e for e in events_by_task[task.log_stream] if e.event_id in ids]
            payloads.extend(batch(task, chosen, data))
    return sorted(payloads, key=lambda payload: payload.first)


def main() -> None:
    data = Data(random.Random(SEED))
    with tempfile.TemporaryDirectory(prefix="logship-corpus-") as tmp:
        tasks = collect(data, Path(tmp))
    counter = [0]
    payloads: list[Payload] = []
    truth: list[dict[str, Any]] = []
    events_by_task: dict[str, list[Event]] = {}
    for task in tasks:
        events, rows = to_events(task, data, counter)
        events_by_task[task.log_stream] = events
        truth.extend(rows)
        payloads.extend(batch(task, events, data))
    count = write_events(DATA / "subscription-events.jsonl.gz", interleave(payloads, data))
    with gzip.open(DATA / "truth.json.gz", "wt", encoding="utf-8", compresslevel=9) as out:
        json.dump({"seed": SEED, "entries": truth}, out, indent=0)
    sample_count = write_events(
        EXAMPLES / "sample-subscription-events.jsonl.gz", sample(tasks, events_by_task, truth, data)
    )
    labels = {row["label"] for row in truth if row["label"]}
    errors = sum(row["error"] for row in truth)
    print(
        f"{len(tasks)} streams, {count} events, {len(payloads)} payloads, {len(truth)} entries, "
        f"{errors} errors in {len(labels)} groups; sample: {sample_count} events",
        file=sys.stderr,
    )
    shutil.rmtree(PROGRAMS / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main()
