"""The event builder's one path (logship.event): every scrub configuration, the size bound.

``build_event`` scrubs each string as it places it, with what the scrubber's
walk of the finished event would make of it, ``[scrub] keep`` paths included,
and bounds the event's JSON size as it goes. The tests here hold it to the
straightforward definitions: the finished, unscrubbed event walked by the
scrubber, and the JSON's real size.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import regex  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secrets_corpus import SEEDED
from trace_fixtures import fixture_texts

from logship.config import Config, ScrubConfig
from logship.config.rules import ScrubRule
from logship.decode import from_lambda_event
from logship.event import (
    EVENT_ID_NAMESPACE,
    Event,
    EventSettings,
    _ids,
    build_event,
    console_url,
    event_id,
    tag_key,
    tag_value,
)
from logship.event._builder import event_at_level
from logship.event._placer import Placer
from logship.pipeline import RunReport, errors
from logship.records import (
    NO_ANNOTATION,
    Annotation,
    ExceptionInfo,
    Fingerprinted,
    Frame,
    LogEvent,
    LogRecord,
    ParsedError,
    Relation,
    RequestContext,
)
from logship.scrub import Scrubber
from logship.truncate import LEVELS, MAX_TAG_VALUE_CHARS, Limits, cut

TESTS = Path(__file__).parent
CORPUS = TESTS / "corpus" / "data" / "subscription-events.jsonl.gz"

# Keep paths that name a field of each kind the builder places, and whole parts.
KEEPS = (
    ("tags.team", "tags.service", "request.url", "logentry.formatted"),
    ("exception.values.stacktrace.frames.filename", "contexts.cloudwatch", "extra.raw_log"),
    ("exception", "fingerprint", "logger", "request.headers"),
    ("exception.values.stacktrace.frames.abs_path", "tags", "extra", "logentry.message"),
)


def scrubbers() -> list[Scrubber]:
    """The default, user patterns with defaults off, none, and each set of keep paths."""
    custom = ScrubConfig(
        disable=("email", "denylist"),
        patterns=(ScrubRule("order_id", r"(order=)ORD-\d+", regex.compile(r"(order=)ORD-\d+")),),
    )
    return [
        Scrubber(),
        Scrubber.from_config(custom),
        Scrubber.disabled(),
        *(Scrubber(keep=keep) for keep in KEEPS),
        Scrubber.from_config(ScrubConfig(disable=("denylist",), keep=KEEPS[0])),
    ]


def dumps(event: object) -> str:
    return json.dumps(event, allow_nan=False, separators=(",", ":"))


def walked(
    item: Fingerprinted,
    scrubber: Scrubber,
    extra: dict[str, object] | None,
    annotation: Annotation = NO_ANNOTATION,
    **options: Any,
) -> dict[str, Any] | None:
    """The finished event built unscrubbed, then walked by ``scrubber``; None when the
    builder cut something (it scrubs a long string before cutting it, the walk cannot)."""
    unscrubbed = EventSettings(scrubber=Scrubber.disabled(), **options)
    event = build_event(item, unscrubbed, extra, annotation=annotation)
    if event["extra"].get("logship_truncated"):
        return None
    if not scrubber.enabled:
        return dict(event)
    scrubbed = scrubber.scrub_event(event)
    scrubbed["tags"] = {key: tag_value(value) for key, value in scrubbed["tags"].items()}
    return scrubbed


def assert_as_walked(
    items: list[Fingerprinted],
    *,
    extra: dict[str, object] | None = None,
    annotation: Annotation = NO_ANNOTATION,
    **options: Any,
) -> int:
    """Each item's event is the JSON the walk of the finished event gives; returns how many
    events were compared (cut ones are not)."""
    compared = 0
    for scrubber in scrubbers():
        built = EventSettings(scrubber=scrubber, **options)
        for item in items:
            expected = walked(item, scrubber, extra, annotation, **options)
            if expected is not None:
                event = build_event(item, built, extra, annotation=annotation)
                assert dumps(event) == dumps(expected)
                compared += 1
    return compared


# -- generated errors: secret shapes in every string --------------------------------------

SECRET_BITS = st.sampled_from(
    [
        "password=hunter2",
        'api_key: "sk_live_4eC39HqLyjWDarjtT1zdp7dc"',
        "Authorization: Bearer abcdefghijklmnop",
        "bob@example.com",
        "postgres://app:hunter2@db/x",
        "4111 1111 1111 1111",
        "4242424242424242",
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "a/b\\c",
        "order=ORD-1234",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
        "pa\u017f\u017fword=x",
        "\u00e9\U0001f600\ud800\x00\t\n",
        "",
    ]
)
TEXT = st.one_of(
    st.lists(st.one_of(SECRET_BITS, st.text(max_size=8)), max_size=5).map(" ".join),
    SEEDED.map(lambda seeded: seeded.message),
    st.text(max_size=40),
)
# Now and then past the first level's limits, so that cuts and their pre-cut scrub run.
LONG_TEXT = st.one_of(TEXT, TEXT, TEXT, TEXT.map(lambda text: (text + " ") * 250))
FRAMES = st.builds(
    Frame,
    function=TEXT,
    module=TEXT,
    filename=st.one_of(TEXT, st.just("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")),
    lineno=st.none() | st.integers(min_value=-5, max_value=2**33),
    in_app=st.booleans(),
)
EXCEPTIONS = st.builds(
    ExceptionInfo,
    type=st.one_of(TEXT, st.sampled_from(["java.lang.IllegalStateException", "ValueError"])),
    message=LONG_TEXT,
    frames=st.lists(FRAMES, max_size=6).map(tuple),
    relation=st.none() | st.sampled_from(Relation),
    frames_omitted=st.sampled_from([0, 3, 4111111111111111, 10**30]),
)
RECORDS = st.builds(
    LogRecord,
    log_group=TEXT,
    log_stream=TEXT,
    owner=TEXT,
    region=TEXT | st.just("eu-west-1"),
    timestamp=st.integers(min_value=-5, max_value=2**50),
    event_ids=st.lists(TEXT | st.just("4111111111111111"), max_size=8).map(tuple),
    lines=st.lists(LONG_TEXT, min_size=1, max_size=4).map(tuple),
    truncated=st.booleans(),
)
ERRORS = st.builds(
    ParsedError,
    record=RECORDS,
    service=TEXT,
    level=st.sampled_from(["fatal", "error", "warning", "odd"]),
    message=LONG_TEXT,
    logger=TEXT,
    language=st.sampled_from(["java", "python", "node", ""]),
    chain=st.lists(EXCEPTIONS, max_size=3).map(tuple),
    related=st.lists(EXCEPTIONS, max_size=3).map(tuple),
    context=st.builds(
        RequestContext,
        trace_id=TEXT | st.just("4bf92f3577b34da6a3ce929d0e0e4736"),
        request_id=TEXT,
        url=TEXT,
        http_method=TEXT | st.sampled_from(["GET", "AKIAIOSFODNN7EXAMPLE"]),
        user_agent=TEXT,
    ),
)
ITEMS = st.builds(
    Fingerprinted,
    error=ERRORS,
    fingerprint=st.lists(TEXT, max_size=3).map(tuple),
    title=TEXT,
    message_template=TEXT,
    rule=TEXT,
)
STATIC_TAGS = st.lists(
    st.tuples(TEXT | st.sampled_from(["auth", "X-Api-Key", "service", "team"]), TEXT),
    max_size=3,
).map(tuple)
ANNOTATIONS = st.one_of(
    st.just(NO_ANNOTATION),
    st.builds(
        Annotation,
        team=TEXT,
        severity=st.sampled_from(["", "low", "critical"]),
        runbook=st.one_of(st.just(""), TEXT.map(lambda t: f"https://wiki/{t}")),
        runbook_rule=TEXT,
        tags=STATIC_TAGS,
        rules=st.just(("rule",)),
    ),
)
EXTRA = st.dictionaries(
    st.sampled_from(["logship_suppressed", "password", "note", "raw_log", "n"]),
    st.one_of(
        TEXT,
        st.integers(),
        st.just(4111111111111111),
        st.none(),
        st.booleans(),
        st.lists(TEXT, max_size=2),
        st.dictionaries(st.sampled_from(["token", "msg"]), TEXT, max_size=2),
    ),
    max_size=3,
)


class TestEveryScrubConfiguration:
    @pytest.mark.slow
    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        items=st.lists(ITEMS, min_size=1, max_size=2),
        tags=STATIC_TAGS,
        extra=EXTRA,
        annotation=ANNOTATIONS,
    )
    def test_generated_errors(
        self,
        items: list[Fingerprinted],
        tags: tuple[tuple[str, str], ...],
        extra: dict[str, Any],
        annotation: Annotation,
    ) -> None:
        """Secrets anywhere (annotations too), denied tag and extra keys, kept paths: what the
        walk gives."""
        assert_as_walked(
            items,
            extra=extra or None,
            annotation=annotation,
            tags=tags,
            environment="prod",
            release="orders@1.4.2",
        )

    def test_trace_fixtures(self) -> None:
        """Every trace fixture, as one CloudWatch record: what the walk gives."""
        items = list(errors(_fixture_items(), Config(), RunReport()))
        assert len(items) > 20
        assert assert_as_walked(items, tags=(("team", "password=x"), ("auth", "y"))) > 100

    def test_evaluation_corpus(self) -> None:
        """Every error of the evaluation corpus: what the walk gives."""
        items = list(errors(_corpus_items(), Config(), RunReport()))
        assert assert_as_walked(items, extra={"password": "p", "note": "token=abc"}) > 100

    def test_kept_fields_keep_their_secrets(self) -> None:
        """A ``keep`` path leaves its field as logged; the fields beside it are scrubbed."""
        secret = "password=hunter2"
        frame = Frame("handle", "app", f"/src/{secret}.py", 3)
        rec = LogRecord(f"/g/{secret}", f"s/{secret}", "1", "eu-west-1", 1, ("1",), ("ERROR x",))
        context = RequestContext(url=f"https://x/?{secret}", user_agent=secret)
        err = ParsedError(
            rec,
            secret,
            "error",
            "boom",
            language="python",
            chain=(ExceptionInfo("ValueError", secret, (frame,)),),
            context=context,
        )
        keep = ("tags.service", "request.url", "exception.values.stacktrace.frames.filename")
        event = build_event(
            Fingerprinted(err, ("svc",), "t", ""), EventSettings(scrubber=Scrubber(keep=keep))
        )
        frame_out = event["exception"]["values"][0]["stacktrace"]["frames"][0]
        assert secret in event["tags"]["service"]
        assert secret in event["request"]["url"]
        assert secret in frame_out["filename"]
        assert secret not in frame_out["abs_path"]
        assert secret not in event["tags"]["log_group"]
        assert secret not in event["request"]["headers"]["User-Agent"]
        assert secret not in event["exception"]["values"][0]["value"]


def _corpus_items() -> Iterator[LogEvent | object]:
    with gzip.open(CORPUS, "rt") as lines:
        for line in lines:
            yield from from_lambda_event(json.loads(line))


def _fixture_items() -> Iterator[LogEvent]:
    for number, (_path, text) in enumerate(fixture_texts()):
        for index, line in enumerate(text.rstrip("\n").split("\n")):
            yield LogEvent(
                log_group="/ecs/order-service",
                log_stream=f"ecs/order/{number}",
                event_id=f"{number}-{index}",
                timestamp=1_700_000_000_000 + index,
                message=line,
                owner="123456789012",
                region="eu-west-1",
            )


# -- the size bound -----------------------------------------------------------------------


class TestSizeBound:
    @pytest.mark.slow
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(item=ITEMS, tags=STATIC_TAGS, extra=EXTRA, level=st.sampled_from(LEVELS))
    def test_bound_holds(
        self,
        item: Fingerprinted,
        tags: tuple[tuple[str, str], ...],
        extra: dict[str, Any],
        level: Limits,
    ) -> None:
        """Whenever the builder knows a bound, the event's JSON is no longer than it."""
        settings_ = EventSettings(tags=tags, environment="prod", release="r1")
        event, placer = _built(item, settings_, level, extra)
        if placer.sized:
            assert len(dumps(event)) <= placer.size

    @pytest.mark.parametrize("level", LEVELS)
    def test_bound_holds_for_structure_heavy_events(self, level: Limits) -> None:
        """Many empty frames, exceptions and ids (structure, hardly any text) stay bounded."""
        frames = tuple(Frame("", "", "", 4_294_967_295, False) for _ in range(400))
        chain = tuple(ExceptionInfo("", "", frames, Relation.CAUSE, 10**40) for _ in range(60))
        group = tuple(ExceptionInfo("", "", (), Relation.GROUP, 0) for _ in range(60))
        rec = LogRecord("g", "s", "", "", 1, tuple("1" for _ in range(60)), ("",))
        err = ParsedError(rec, "", "fatal", "", language="python", chain=chain, related=group)
        event, placer = _built(Fingerprinted(err, ("",) * 3, "", ""), EventSettings(), level, {})
        assert placer.sized
        assert len(dumps(event)) <= placer.size

    def test_unknown_extra_values_are_measured(self) -> None:
        """A nested or NaN value in the caller's ``extra`` leaves the size to serializing."""
        item = _simple_item()
        for value in ({"a": 1}, [1, 2], float("nan")):
            _, placer = _built(item, EventSettings(), LEVELS[0], {"x": value})
            assert not placer.sized

    def test_nan_in_extra_still_refused(self) -> None:
        """``json.dumps(allow_nan=False)`` refuses NaN, so build_event still raises for it."""
        with pytest.raises(ValueError, match="Out of range float"):
            build_event(_simple_item(), EventSettings(), {"x": float("nan")})


def _built(
    item: Fingerprinted, settings_: EventSettings, level: Limits, extra: dict[str, Any]
) -> tuple[Event, Placer]:
    return event_at_level(item, settings_, level, event_id(item.error), extra)


def _simple_item() -> Fingerprinted:
    rec = LogRecord("/g", "s", "1", "eu-west-1", 1, ("1",), ("ERROR boom",))
    return Fingerprinted(ParsedError(rec, "svc", "error", "boom"), ("svc",), "t", "")


# -- the helpers' caches -----------------------------------------------------------------


class TestHelpers:
    @given(st.text(st.characters(exclude_categories=()), max_size=300))
    @settings(max_examples=300, deadline=None)
    def test_tag_helpers_same_as_their_formulas(self, text: str) -> None:
        """The memoized tag_key and tag_value give what their one-line formulas give."""
        control = regex.compile(r"[\x00-\x1f\x7f]+")
        expected_value = cut(control.sub(" ", text).strip(), MAX_TAG_VALUE_CHARS)
        expected_key = regex.sub(r"[^A-Za-z0-9_.:-]+", "_", text)[:32]
        for _ in range(2):
            assert tag_value(text) == expected_value
            assert tag_key(text) == expected_key

    @given(
        st.sampled_from(["eu-west-1", "cn-north-1", "us-gov-west-1", "nowhere", ""]),
        st.text(max_size=30),
        st.text(max_size=30),
        st.integers(min_value=0, max_value=2**45),
    )
    @settings(max_examples=200, deadline=None)
    def test_console_url_memo(self, region: str, group: str, stream: str, ms: int) -> None:
        """A remembered link prefix gives the link computed afresh, whatever the time."""
        _ids._CONSOLE_PREFIXES.clear()
        fresh = console_url(region, group, stream, ms)
        assert console_url(region, group, stream, ms) == fresh
        assert console_url(region, group, stream, ms + 5) == fresh.replace(
            f"start$3D{ms - 60_000}$26end$3D{ms + 60_000}",
            f"start$3D{ms + 5 - 60_000}$26end$3D{ms + 5 + 60_000}",
        )

    @given(st.lists(st.text(st.characters(exclude_categories=()), max_size=20), max_size=3))
    @settings(max_examples=300, deadline=None)
    def test_event_id_is_uuid5(self, parts: list[str]) -> None:
        """The event id sets the version and variant bits exactly as uuid.UUID(version=5)."""
        ids = tuple(parts)
        rec = LogRecord("/g", "s", "1", "eu-west-1", 7, ids, ("x",))
        name = "\x1f".join(["/g", "s", ids[0] if ids else ""] + ([] if ids else ["7", "x"]))
        data = EVENT_ID_NAMESPACE.bytes + name.encode("utf-8", "surrogatepass")
        digest = hashlib.sha1(data, usedforsecurity=False).digest()
        expected = uuid.UUID(bytes=digest[:16], version=5).hex
        assert event_id(ParsedError(rec, "svc", "error", "boom")) == expected
