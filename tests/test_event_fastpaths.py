"""The event builder's fast paths change nothing but speed (logship.event, logship.truncate).

``build_event`` scrubs each string as it places it, remembers the parts that
come back event after event (frames, tags, exception types, log names) and
bounds the event's JSON size as it goes, instead of scrubbing, serializing and
compressing the finished event. Each test here builds the same errors the
straightforward way too: with a scrubber that walks the finished event (the
builder then takes its original path: no inline scrubbing, no memo, the size
measured by ``within_budget``), and compares the JSON byte for byte. Inputs:
generated errors whose every string holds secret shapes, the evaluation
corpus, every trace fixture, and the benchmark corpus.
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

import logship.event as event_module
from bench.corpus import build_corpus
from logship.config import Config, ScrubConfig, ScrubRule
from logship.decode import from_lambda_event
from logship.event import (
    EVENT_ID_NAMESPACE,
    EventSettings,
    _Builder,
    build_event,
    console_url,
    event_id,
    tag_key,
    tag_value,
)
from logship.pipeline import RunReport, errors
from logship.records import (
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


class WalkingScrubber(Scrubber):
    """The same scrubbing, applied the straightforward way: to the finished event."""

    @property
    def keeps_only_defaults(self) -> bool:
        return False


def scrubbers() -> list[tuple[Scrubber, Scrubber]]:
    """(inline, walking) pairs: the default, one with user patterns and defaults off, none."""
    custom = ScrubConfig(
        disable=("email", "denylist"),
        patterns=(ScrubRule("order_id", r"(order=)ORD-\d+", regex.compile(r"(order=)ORD-\d+")),),
    )
    return [
        (Scrubber(), WalkingScrubber()),
        (Scrubber.from_config(custom), WalkingScrubber.from_config(custom)),
        (Scrubber.disabled(), WalkingScrubber.disabled()),
    ]


def dumps(event: object) -> str:
    return json.dumps(event, allow_nan=False, separators=(",", ":"))


def assert_same_both_ways(
    items: list[Fingerprinted],
    *,
    extra: dict[str, object] | None = None,
    **options: Any,
) -> None:
    """Each item's event is the same JSON built inline (twice: memo cold, then warm) and walked."""
    for inline, walking in scrubbers():
        fast = EventSettings(scrubber=inline, **options)
        slow = EventSettings(scrubber=walking, **options)
        for _ in range(2):
            for item in items:
                expected = dumps(build_event(item, slow, extra))
                assert dumps(build_event(item, fast, extra)) == expected


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


class TestSameAsScrubbingTheFinishedEvent:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(items=st.lists(ITEMS, min_size=1, max_size=2), tags=STATIC_TAGS, extra=EXTRA)
    def test_generated_errors(
        self, items: list[Fingerprinted], tags: tuple[tuple[str, str], ...], extra: dict[str, Any]
    ) -> None:
        """Secrets anywhere, denied tag and extra keys, card-like numbers: the same JSON."""
        assert_same_both_ways(
            items, extra=extra or None, tags=tags, environment="prod", release="orders@1.4.2"
        )

    def test_evaluation_corpus(self) -> None:
        """Every error of the evaluation corpus: the same JSON."""
        assert_same_both_ways(_errors(_corpus_items()))

    def test_trace_fixtures(self) -> None:
        """Every trace fixture, as one CloudWatch record: the same JSON."""
        items = _errors(_fixture_items())
        assert len(items) > 20
        assert_same_both_ways(items)

    def test_benchmark_corpus(self) -> None:
        """The benchmark's generated payloads (a megabyte of them): the same JSON."""
        corpus = build_corpus(total_bytes=1_000_000)
        payloads = (from_lambda_event(p.lambda_event()) for p in corpus.payloads)
        items = _errors(item for payload in payloads for item in payload)
        assert items
        assert_same_both_ways(items)

    def test_every_level(self) -> None:
        """Events too big for the first levels fall to tighter ones exactly as before."""
        frames = tuple(Frame(f"f{n}", "m." * 400, f"/src/{n}.py", n) for n in range(3000))
        exc = ExceptionInfo("ValueError", "x" * 100_000 + " password=hunter2", frames)
        text = "\n".join(["ERROR " + "\U0001f600" * 60_000, "token=abc"])
        rec = LogRecord("/g", "s", "1", "eu-west-1", 1, ("1",), tuple(text.split("\n")))
        err = ParsedError(rec, "svc", "error", "boom", language="python", chain=(exc,) * 30)
        item = Fingerprinted(err, ("svc",), "t", "")
        assert_same_both_ways([item])


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


def _errors(items: Iterator[Any]) -> list[Fingerprinted]:
    return list(errors(items, Config(), RunReport()))


# -- the size bound -----------------------------------------------------------------------


class TestSizeBound:
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
        builder = _built(item, settings_, level, extra)
        event = builder.event()
        if builder.sized:
            assert len(dumps(event)) <= builder.size

    @pytest.mark.parametrize("level", LEVELS)
    def test_bound_holds_for_structure_heavy_events(self, level: Limits) -> None:
        """Many empty frames, exceptions and ids (structure, hardly any text) stay bounded."""
        frames = tuple(Frame("", "", "", 4_294_967_295, False) for _ in range(400))
        chain = tuple(ExceptionInfo("", "", frames, Relation.CAUSE, 10**40) for _ in range(60))
        group = tuple(ExceptionInfo("", "", (), Relation.GROUP, 0) for _ in range(60))
        rec = LogRecord("g", "s", "", "", 1, tuple("1" for _ in range(60)), ("",))
        err = ParsedError(rec, "", "fatal", "", language="python", chain=chain, related=group)
        builder = _built(Fingerprinted(err, ("",) * 3, "", ""), EventSettings(), level, {})
        event = builder.event()
        assert builder.sized
        assert len(dumps(event)) <= builder.size

    def test_unknown_extra_values_are_measured(self) -> None:
        """A nested or NaN value in the caller's ``extra`` leaves the size to serializing."""
        item = _simple_item()
        for value in ({"a": 1}, [1, 2], float("nan")):
            builder = _built(item, EventSettings(), LEVELS[0], {"x": value})
            builder.event()
            assert not builder.sized

    def test_nan_in_extra_still_refused(self) -> None:
        """``json.dumps(allow_nan=False)`` refuses NaN, so build_event still raises for it."""
        with pytest.raises(ValueError, match="Out of range float"):
            build_event(_simple_item(), EventSettings(), {"x": float("nan")})


def _built(
    item: Fingerprinted, settings_: EventSettings, level: Limits, extra: dict[str, Any]
) -> _Builder:
    return _Builder(
        item,
        settings=settings_,
        limits=level,
        identifier=event_id(item.error),
        raw_text=item.error.raw_text,
        extra=extra,
        inline=True,
    )


def _simple_item() -> Fingerprinted:
    rec = LogRecord("/g", "s", "1", "eu-west-1", 1, ("1",), ("ERROR boom",))
    return Fingerprinted(ParsedError(rec, "svc", "error", "boom"), ("svc",), "t", "")


# -- the memos and small fast paths --------------------------------------------------------


class TestMemos:
    @pytest.mark.parametrize(("entries", "weight"), [(5, 10**9), (10**9, 3000)])
    def test_settings_memo_is_bounded(
        self, monkeypatch: pytest.MonkeyPatch, entries: int, weight: int
    ) -> None:
        """The memo of built parts starts over when full, in entries or in weight."""
        monkeypatch.setattr(event_module._Memo, "MAX_ENTRIES", entries)
        monkeypatch.setattr(event_module._Memo, "MAX_WEIGHT", weight)
        items = _errors(_fixture_items())
        settings_ = EventSettings()
        walking = EventSettings(scrubber=WalkingScrubber())
        for item in items:
            assert dumps(build_event(item, settings_)) == dumps(build_event(item, walking))
            memo = settings_._memo
            assert len(memo.entries) <= entries
            assert memo.weight <= weight or len(memo.entries) == 1

    def test_long_inputs_are_not_held(self) -> None:
        """Parts built from cut inputs are not remembered; silently cut ones weigh in full."""
        long_function = "f" * 5000
        frame = Frame(long_function, "m", "a.py", 1)
        rec = LogRecord("/g", "s", "1", "eu-west-1", 1, ("1",), ("ERROR boom",))
        exc = ExceptionInfo("ValueError", "boom", (frame,))
        cause = ExceptionInfo("OSError", "down", (Frame("g", "m", "b.py", 2),))
        err = ParsedError(
            rec, "s" * 300_000, "error", "boom", language="python", chain=(exc, cause)
        )
        settings_ = EventSettings()
        build_event(Fingerprinted(err, ("svc",), "t", ""), settings_)
        memo = settings_._memo
        stacks = [key[1] for key in memo.entries if isinstance(key, tuple) and key[0] == "frames"]
        assert stacks  # the short stack is remembered
        assert not any(frame in stack for stack in stacks)
        assert memo.weight >= 300_000  # the service name is a key of the shared tags

    def test_events_do_not_share_dicts(self) -> None:
        """Frames built from the memo are copies: changing one event leaves the next alone."""
        item = _errors(_fixture_items())[0]
        settings_ = EventSettings()
        first = build_event(item, settings_)
        first["exception"]["values"][-1]["stacktrace"]["frames"][0]["function"] = "changed"
        second = build_event(item, settings_)
        assert second["exception"]["values"][-1]["stacktrace"]["frames"][0]["function"] != (
            "changed"
        )

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
        event_module._CONSOLE_PREFIXES.clear()
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
