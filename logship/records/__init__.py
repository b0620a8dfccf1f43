"""The records that flow between pipeline stages.

Every record is frozen: a stage never changes what an earlier stage produced, it
builds a new record. Dicts appear only at the edges (AWS payloads in, Sentry
event dicts out).

Stage by stage::

    payload --decode--> LogEvent --assemble--> LogRecord --parse--> ParsedError
            --fingerprint--> Fingerprinted --rules--> Decision --event--> dict

and what the outputs report back: a sink's :class:`DeliveryResult`, a route
publisher's :class:`RouteEntry` / :class:`PublishResult`, and the
:class:`Delivery` of a whole run. What ``logship pull`` and ``logship coverage``
read from CloudWatch Logs is in :mod:`logship.records.tools`: apart, because
the Lambda never uses them and each frozen slotted dataclass costs its cold
start about half a millisecond to create (six of them: 3-4 ms, measured). This
package imports nothing else from logship: every layer can use its records.
The configuration's records live in :mod:`logship.config`, with its model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One CloudWatch log event as delivered: one line for ECS's awslogs driver."""

    log_group: str
    log_stream: str
    event_id: str
    timestamp: int  # milliseconds since the epoch, as CloudWatch gives it
    message: str
    owner: str = ""  # the AWS account id of the log group
    region: str = ""
    source: str = ""  # where the event was read, for error messages: "dump.json.gz:#12"
    batch_item: str = ""  # the Kinesis sequence number / Firehose record id it came in


@dataclass(frozen=True, slots=True)
class LogBatch:
    """The log events of one subscription payload: one stream, kept as columns.

    A payload holds up to 10,000 events of one stream; the Lambda decodes them
    into these three parallel tuples, each checked once, rather than into as
    many :class:`LogEvent` records, which the assembler builds only for the
    few events it must handle one by one (see :meth:`events`).
    """

    log_group: str
    log_stream: str
    event_ids: tuple[str, ...]
    timestamps: tuple[int, ...]
    messages: tuple[str, ...]
    owner: str = ""
    region: str = ""
    source: str = ""  # the payload: "lambda event: Records[3] (seq 4959...)"
    batch_item: str = ""

    def __len__(self) -> int:
        return len(self.event_ids)

    def event(self, index: int) -> LogEvent:
        """The event at ``index``, as the per-event decoder would have made it."""
        return LogEvent(
            log_group=self.log_group,
            log_stream=self.log_stream,
            event_id=self.event_ids[index],
            timestamp=self.timestamps[index],
            message=self.messages[index],
            owner=self.owner,
            region=self.region,
            source=f"{self.source}: logEvents[{index}]",
            batch_item=self.batch_item,
        )


@dataclass(frozen=True, slots=True)
class ReadEvent:
    """A log event read back from CloudWatch Logs (``GetLogEvents`` gives no event id)."""

    timestamp: int  # milliseconds since the epoch
    message: str
    ingestion_time: int  # when CloudWatch Logs stored it, milliseconds since the epoch


@dataclass(frozen=True, slots=True)
class StitchedBatch:
    """A payload with the lines of its stream read around it, so its edges assemble as replay's.

    ``before`` starts at a line that surely begins an entry and ends right
    before the payload: the head of the entry the payload's first lines
    continue, if they do. ``after`` is what follows the payload up to where the
    entry open at its end is over. Neither is the payload's own: the assembler
    feeds them through its state machine but counts and ships only ``batch``'s
    events (see :mod:`logship.stitch`).
    """

    batch: LogBatch
    before: tuple[ReadEvent, ...] = ()
    after: tuple[ReadEvent, ...] = ()
    head_cut: str = ""  # why the payload's first lines could not be checked, if so
    tail_cut: str = ""  # why the entry open at the payload's end could not be completed

    def __len__(self) -> int:
        return len(self.batch)


@dataclass(frozen=True, slots=True)
class InputProblem:
    """A piece of input that could not be decoded.

    Decoders yield these between good events instead of raising, so one bad
    payload never stops a batch; the pipeline counts and reports them.
    """

    source: str  # names the input and the position: "dump.json:line 17"
    reason: str
    events_lost: int = 1  # how many log events the bad piece held, when known


@dataclass(frozen=True, slots=True)
class ControlMessage:
    """A CloudWatch Logs ``CONTROL_MESSAGE`` payload (sent when a subscription is made)."""

    source: str


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One logical log entry: the events of one stream that belong together.

    A stack trace that the awslogs driver split into one event per line is
    joined back here; a single-line entry is a record of one event.
    """

    log_group: str
    log_stream: str
    owner: str
    region: str
    timestamp: int  # of the first event
    event_ids: tuple[str, ...]
    lines: tuple[str, ...]
    truncated: bool = False  # the buffer limit cut the entry short
    batch_items: tuple[str, ...] = ()  # Kinesis/Firehose records the events came in
    # Stitching (the Lambda): events read back from CloudWatch Logs that complete
    # the entry after its own (not in event_ids: another invocation received them).
    stitched: int = 0
    # The entry began in an earlier payload: its head's invocation ships it.
    continued: bool = False
    # Why the entry reached a payload's edge and could not be completed there ("" if not).
    cut: str = ""

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True, slots=True)
class Frame:
    """One stack frame, normalized across languages."""

    function: str
    module: str = ""  # Java/.NET class, Python module, Go package, Node file module
    filename: str = ""
    lineno: int | None = None
    in_app: bool = False


class Relation(StrEnum):
    """How an exception attaches to the one before it in a chain.

    The values are the ``mechanism.source`` names Sentry uses for chained
    exceptions, so the event builder can pass them through.
    """

    CAUSE = "__cause__"  # Java "Caused by:", Python "raise ... from", JS `cause`
    CONTEXT = "__context__"  # Python "During handling of the above exception"
    INNER = "InnerException"  # .NET "--->"
    SUPPRESSED = "suppressed"  # Java "Suppressed:"
    GROUP = "exceptions"  # members of a Python ExceptionGroup or JS AggregateError


@dataclass(frozen=True, slots=True)
class ExceptionInfo:
    """One exception of a chain, as printed by its runtime."""

    type: str  # as printed: "java.net.SocketTimeoutException", "ValueError"
    message: str
    # Sentry order: the oldest call first, the frame that raised last.
    frames: tuple[Frame, ...] = ()
    relation: Relation | None = None  # to the previous exception; None for the first
    frames_omitted: int = 0  # Java's "... N more", or frames cut by a limit


@dataclass(frozen=True, slots=True)
class Trace:
    """What a language parser finds in a record's text."""

    language: str  # "java", "python", "node", "go", "dotnet", "ruby", "php", "dart"
    chain: tuple[ExceptionInfo, ...]  # outermost first, root cause last
    related: tuple[ExceptionInfo, ...] = ()  # suppressed exceptions, group members
    message: str = ""  # the log message printed before the trace, if any


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What the log line says about the request being served."""

    trace_id: str = ""
    request_id: str = ""
    url: str = ""
    http_method: str = ""
    user_agent: str = ""

    def __bool__(self) -> bool:
        return any((self.trace_id, self.request_id, self.url, self.http_method, self.user_agent))


@dataclass(frozen=True, slots=True)
class ParsedError:
    """An error found in a log record: who, when, what, where and why."""

    record: LogRecord
    service: str
    level: str  # Sentry level names: "fatal", "error", "warning"
    message: str  # the log message; for untyped errors the whole error
    logger: str = ""
    language: str = ""  # empty for untyped errors
    chain: tuple[ExceptionInfo, ...] = ()  # outermost first, root cause last
    related: tuple[ExceptionInfo, ...] = ()
    context: RequestContext = field(default_factory=RequestContext)

    @property
    def log_group(self) -> str:
        return self.record.log_group

    @property
    def log_stream(self) -> str:
        return self.record.log_stream

    @property
    def account(self) -> str:
        return self.record.owner

    @property
    def region(self) -> str:
        return self.record.region

    @property
    def timestamp(self) -> int:
        return self.record.timestamp

    @property
    def event_ids(self) -> tuple[str, ...]:
        return self.record.event_ids

    @property
    def raw_text(self) -> str:
        return self.record.text

    @property
    def exception_type(self) -> str:
        """The outermost exception type, or "" for an untyped error."""
        return self.chain[0].type if self.chain else ""

    @property
    def root_cause_type(self) -> str:
        """The innermost exception type of the chain, or "" for an untyped error."""
        return self.chain[-1].type if self.chain else ""

    @property
    def top_in_app_frame(self) -> Frame | None:
        """The in-app frame closest to where the root cause was raised."""
        for exc in reversed(self.chain):
            for frame in reversed(exc.frames):
                if frame.in_app:
                    return frame
        return None


@dataclass(frozen=True, slots=True)
class Fingerprinted:
    """A parsed error with the grouping key it gets in Sentry."""

    error: ParsedError
    fingerprint: tuple[str, ...]
    title: str
    message_template: str  # the error's message with variable parts masked
    rule: str = ""  # the fingerprint rule that matched, "" for the default


@dataclass(frozen=True, slots=True)
class Annotation:
    """What the annotate rules say about one error: whose it is, how urgent, what to do.

    Every matching ``[[annotate]]`` rule applies and, for each key, the first
    rule (in file order) that sets it wins; ``tags`` merge key by key the same
    way. An error no rule matched gets the empty annotation (falsy).
    """

    team: str = ""
    severity: str = ""  # "low", "medium", "high", "critical"; "" when no rule set it
    runbook: str = ""  # the runbook URL, rendered for this error
    runbook_rule: str = ""  # the annotate rule whose runbook it is
    tags: tuple[tuple[str, str], ...] = ()  # static tags, in the order rules set them
    rules: tuple[str, ...] = ()  # every annotate rule that matched, in file order

    def __bool__(self) -> bool:
        return bool(self.rules)

    def sentry_tags(self) -> tuple[tuple[str, str], ...]:
        """The tags the Sentry event gets from the annotation: team, severity, then ``tags``.

        The loader keeps ``team`` and ``severity`` out of ``tags``, so no key repeats.
        """
        named = (("team", self.team), ("severity", self.severity))
        return (*((key, value) for key, value in named if value), *self.tags)


NO_ANNOTATION = Annotation()


# --- what the rules and the pipeline decide -------------------------------------------


class Status(StrEnum):
    """What happened when a rule was tried on an error."""

    MATCHED = "matched"
    NO_MATCH = "no match"
    EXPIRED = "expired"
    SKIPPED = "not tried"  # an earlier rule of the same kind matched


@dataclass(frozen=True, slots=True)
class RuleCheck:
    """One rule tried on one error, for ``logship explain``."""

    kind: str  # "fingerprint" or "ignore"
    name: str
    status: Status
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """What the rules decided for one error."""

    item: Fingerprinted  # re-fingerprinted when a fingerprint rule matched
    ignore_rule: str = ""  # the ignore rule that matched, "" for none
    reason: str = ""
    sampled: bool = False  # the ignore rule matched, but sampling kept this error
    regex_timeouts: tuple[str, ...] = ()  # rules whose message regex timed out
    checks: tuple[RuleCheck, ...] = ()  # filled only when explaining
    annotation: Annotation = NO_ANNOTATION  # empty for an error no annotate rule matched
    routes: tuple[str, ...] = ()  # the route rules that matched, in file order

    @property
    def ignored(self) -> bool:
        """Whether the error is dropped."""
        return bool(self.ignore_rule) and not self.sampled

    @property
    def fingerprint_rule(self) -> str:
        """The fingerprint rule that matched, "" for the default fingerprint."""
        return self.item.rule


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the pipeline decided for one error."""

    item: Fingerprinted
    ignored_by: str = ""  # the ignore rule's name; "" means ship it
    reason: str = ""
    sampled_by: str = ""  # an ignore rule matched but kept this one as its 1-in-N sample
    annotation: Annotation = NO_ANNOTATION  # team, severity, runbook, tags from annotate rules
    routes: tuple[str, ...] = ()  # the route rules whose buses also get this error


# --- what the outputs did with them ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Release:
    """An outcome flood control (``logship.flood``) lets through.

    ``suppressed`` is how many errors of its fingerprint were held back in this
    run; it is non-zero only on the last one released for that fingerprint.
    """

    outcome: Outcome
    suppressed: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryFailure:
    """An event that was not delivered, and why (never containing the DSN)."""

    event_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What one ``Sink.flush`` did with the events sent since the last flush."""

    delivered: tuple[str, ...] = ()
    failed: tuple[DeliveryFailure, ...] = ()
    attempts: int = 0  # HTTP requests made, retries included

    @property
    def failed_ids(self) -> frozenset[str]:
        return frozenset(failure.event_id for failure in self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True, slots=True)
class RouteEntry:
    """One EventBridge event to publish, and the errors and batch items it stands for."""

    logship_id: str
    rule: str
    bus: str  # "default" or an event bus ARN: PutEvents' EventBusName
    detail_type: str
    detail: str  # the JSON text of logship.route.route_detail(...)
    errors: int = 1  # the errors of the run it counts (its detail's ``count``)
    batch_items: tuple[str, ...] = ()  # Kinesis sequence numbers / Firehose ids they came in


@dataclass(frozen=True, slots=True)
class RouteFailure:
    """A route event that was not published, and why."""

    logship_id: str  # "" when the event could not even be built
    rule: str
    reason: str
    batch_items: tuple[str, ...] = ()
    errors: int = 1


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What one ``Publisher.publish`` did with each entry it was given.

    Every entry is in exactly one of ``published`` (accepted now),
    ``duplicates`` (accepted earlier: not sent again) and ``failed``.
    """

    published: tuple[str, ...] = ()  # logship ids
    duplicates: tuple[str, ...] = ()
    failed: tuple[RouteFailure, ...] = ()
    calls: int = 0  # PutEvents requests, retries included

    @property
    def routed(self) -> int:
        """Events the bus has: ``RunReport.routed`` grows by this."""
        return len(self.published) + len(self.duplicates)

    @property
    def route_failed(self) -> int:
        """Events that did not go: ``RunReport.route_failed`` grows by this."""
        return len(self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True, slots=True)
class Delivery:
    """What ``logship.deliver.deliver`` could not do, for the caller to surface."""

    failures: tuple[DeliveryFailure, ...] = ()  # the first logship.deliver.MAX_KEPT_FAILURES
    failed_batch_items: frozenset[str] = frozenset()  # Sentry's and the routes' failures
    failed_events: int = 0  # exact, like report.failed
    route_failures: tuple[RouteFailure, ...] = ()  # the first MAX_KEPT_FAILURES
    route_failed: int = 0  # exact: route events that did not go in this call

    @property
    def ok(self) -> bool:
        """Whether every Sentry event and every route event went: else the run failed."""
        return self.failed_events == 0 and self.route_failed == 0

    def first_failure(self) -> str:
        """The reason of the first failure, for the invocation's error message."""
        if self.failures:
            return self.failures[0].reason
        if self.route_failures:
            failure = self.route_failures[0]
            return f"route {failure.rule}: {failure.reason}"
        return "unknown"
