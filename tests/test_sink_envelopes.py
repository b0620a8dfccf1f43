"""Tests for logship.sink.DirectEnvelopes: the shortcut past Client.capture_event.

The shortcut must change nothing but speed: for every event it accepts, the
envelope bytes (headers, item header, event JSON) are those sentry-sdk's
``capture_event`` would hand the transport, with the clock frozen so that
``sent_at`` and a filled-in ``timestamp`` agree. Checked on the events logship
builds from the evaluation corpus, the trace fixtures and the benchmark corpus,
and on generated variations that touch every rewrite capture_event can make
(scrubbed keys, databag trimming, in_app, non-JSON values, transaction parts).
"""

from __future__ import annotations

import copy
import gzip
import json
import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import sentry_sdk.client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lambda_payloads import kinesis_event, traces_payloads

import logship.sink
from bench.corpus import build_corpus
from logship.config import Config
from logship.decode import from_lambda_event
from logship.deliver import deliver
from logship.event import EventSettings
from logship.pipeline import RunReport, run
from logship.sink import DirectEnvelopes, MemorySink, _CollectingTransport, sdk_client

DSN = "http://0123456789abcdef0123456789abcdef@127.0.0.1:9/1"
CORPUS = Path(__file__).parent / "corpus" / "data" / "subscription-events.jsonl.gz"
FROZEN = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)


class _FrozenDatetime(datetime):
    """``datetime`` whose ``now`` is always FROZEN, for both paths' clocks."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return FROZEN.astimezone(tz) if tz is not None else FROZEN.replace(tzinfo=None)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logship.sink, "datetime", _FrozenDatetime)
    monkeypatch.setattr(sentry_sdk.client, "datetime", _FrozenDatetime)


class _Paths:
    """One client, and the envelope each path makes of an event."""

    def __init__(self) -> None:
        self.transport = _CollectingTransport(DSN)
        self.client = sdk_client(DSN, self.transport)
        self.direct = DirectEnvelopes(self.client)

    def through_sdk(self, event: Mapping[str, Any]) -> bytes | None:
        """What SentrySink sent before the shortcut: capture_event on a copy."""
        self.client.capture_event(dict(copy.deepcopy(event)))  # type: ignore[arg-type]
        envelopes = self.transport.take()
        return envelopes[0].serialize() if envelopes else None

    def directly(self, event: Mapping[str, Any]) -> bytes | None:
        envelope = self.direct.envelope(copy.deepcopy(event))
        return envelope.serialize() if envelope is not None else None


@pytest.fixture(scope="module")
def paths() -> _Paths:
    return _Paths()


def _built(lambda_events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events logship builds from ``lambda_events`` (default config and settings)."""
    sink, config = MemorySink(), Config()
    for lambda_event in lambda_events:
        report = RunReport()
        deliver(
            run(from_lambda_event(lambda_event), config, report),
            sink=sink,
            settings=EventSettings(environment="prod", release="orders@1.2.3"),
            report=report,
            budget=lambda: 30.0,
            max_per_fingerprint=config.max_events_per_fingerprint,
        )
    return sink.events


def _corpus_events() -> Iterator[dict[str, Any]]:
    with gzip.open(CORPUS, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


@pytest.fixture(scope="module")
def built_events() -> list[dict[str, Any]]:
    """Events built from the evaluation corpus, the Python trace fixtures and the bench corpus."""
    lambda_events = list(_corpus_events())
    lambda_events.append(kinesis_event(traces_payloads()))
    lambda_events += [p.lambda_event() for p in build_corpus(total_bytes=600_000).payloads]
    events = _built(lambda_events)
    assert len(events) > 100
    return events


def _frames(event: dict[str, Any]) -> list[dict[str, Any]]:
    values = event.get("exception", {}).get("values", [])
    return [f for v in values for f in v.get("stacktrace", {}).get("frames", [])]


class TestDirectEnvelopes:
    def test_built_events_match_capture_event_byte_for_byte(
        self, paths: _Paths, built_events: list[dict[str, Any]]
    ) -> None:
        """Every event logship builds takes the shortcut and gets capture_event's exact bytes."""
        for event in built_events:
            direct = paths.directly(event)
            assert direct is not None, event["event_id"]
            assert direct == paths.through_sdk(event)

    def test_missing_defaults_filled_as_the_sdk_does(self, paths: _Paths) -> None:
        """Without timestamp or platform the shortcut fills them, and sdk, in the SDK's order."""
        event = {"event_id": "a" * 32, "level": "error", "logentry": {"formatted": "boom"}}
        direct = paths.directly(event)
        assert direct is not None
        assert direct == paths.through_sdk(event)
        payload = json.loads(direct.split(b"\n")[2])
        assert list(payload)[-3:] == ["timestamp", "sdk", "platform"]
        assert payload["platform"] == "python"
        assert payload["sdk"]["name"] == sentry_sdk.client.SDK_INFO["name"]

    def test_sdk_name_read_at_send_time(
        self, paths: _Paths, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Another client renaming the SDK (an integration) shows in both paths alike."""
        monkeypatch.setitem(sentry_sdk.client.SDK_INFO, "name", "sentry.python.aws_lambda")
        event = {"event_id": "b" * 32, "timestamp": 1.5}
        direct = paths.directly(event)
        assert direct is not None
        assert direct == paths.through_sdk(event)
        assert b"sentry.python.aws_lambda" in direct

    @pytest.mark.parametrize(
        "change",
        [
            pytest.param(lambda e: e["extra"].update(password="hunter2"), id="denied extra key"),
            pytest.param(
                lambda e: e["extra"].update({f"k{i}": i for i in range(12)}), id="extra too wide"
            ),
            pytest.param(
                lambda e: e["extra"].update(deep={"a": {"b": {"c": {"d": {"e": 1}}}}}),
                id="extra too deep",
            ),
            pytest.param(lambda e: _frames(e)[0].pop("in_app"), id="frame without in_app"),
            pytest.param(lambda e: _frames(e)[0].update(vars={"token": "x"}), id="frame vars"),
            pytest.param(lambda e: e.update(user={"ip_address": "10.0.0.1"}), id="user"),
            pytest.param(lambda e: e.update(breadcrumbs={"values": []}), id="breadcrumbs"),
            pytest.param(lambda e: e["request"].update(data={"a": 1}), id="request data"),
            pytest.param(
                lambda e: e["request"]["headers"].update(Cookie="sid=1"), id="denied header"
            ),
            pytest.param(lambda e: e["extra"].update(when=datetime.now(UTC)), id="datetime"),
            pytest.param(lambda e: e["extra"].update(blob=b"\xff"), id="bytes"),
            pytest.param(lambda e: e["extra"].update(ratio=math.inf), id="infinity"),
            pytest.param(lambda e: e["tags"].update({1: "one"}), id="int key"),
            pytest.param(lambda e: e["contexts"].update(cyclic=e["contexts"]), id="cycle"),
            pytest.param(lambda e: e.update(type="transaction"), id="transaction"),
            pytest.param(
                lambda e: e["contexts"].update(
                    trace={"trace_id": "0" * 32, "dynamic_sampling_context": {}}
                ),
                id="sampling context",
            ),
        ],
    )
    def test_what_the_sdk_would_rewrite_goes_through_the_sdk(
        self, paths: _Paths, built_events: list[dict[str, Any]], change: Any
    ) -> None:
        """An event the SDK would change in any way does not take the shortcut."""
        event = copy.deepcopy(next(e for e in built_events if _frames(e)))
        event.setdefault("request", {}).setdefault("headers", {})
        change(event)
        assert paths.direct.envelope(event) is None

    def test_client_with_before_send_never_shortcut(self) -> None:
        """A client configured in a way the shortcut does not reproduce disables it."""
        client = sdk_client(DSN, _CollectingTransport(DSN))
        client.options["before_send"] = lambda event, hint: event
        direct = DirectEnvelopes(client)
        assert not direct.supported
        assert direct.envelope({"event_id": "c" * 32, "timestamp": 1.0}) is None

    def test_payload_frozen_at_send(self, paths: _Paths) -> None:
        """Changing the event after it was wrapped does not change what is sent."""
        extra = {"raw_log": "before"}
        envelope = paths.direct.envelope({"event_id": "d" * 32, "timestamp": 1.0, "extra": extra})
        assert envelope is not None
        extra["raw_log"] = "after"
        assert b"before" in envelope.serialize()
        assert b"after" not in envelope.serialize()


# Plain JSON values (kept by the serializer), keys some of which the scrubber denies,
# and values or keys the serializer rewrites.
_plain = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=6)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=12) | st.dictionaries(st.text(max_size=4), inner, max_size=12)
    ),
    max_leaves=40,
)
_keys = st.one_of(
    *[st.text(max_size=8)] * 4, st.sampled_from(["password", "Token", "x_api_key", "Cookie"])
)
_odd = st.sampled_from(
    [b"\xff", frozenset({1}), math.nan, -math.inf, (1, 2), datetime(2024, 1, 1, tzinfo=UTC)]
)
_PATHS = [str(Path.cwd() / "app.py"), "/usr/lib/python3/site-packages/y.py", "z.py"]
_frame = st.fixed_dictionaries(
    {"function": st.text(max_size=6), "in_app": st.booleans()},
    optional={"abs_path": st.sampled_from(_PATHS)},
)
_exception = st.fixed_dictionaries(
    {"type": st.text(min_size=1, max_size=6)},
    optional={"stacktrace": st.fixed_dictionaries({"frames": st.lists(_frame, max_size=3)})},
)
_base = st.fixed_dictionaries(
    {"event_id": st.just("e" * 32)},
    optional={
        "timestamp": st.floats(0, 2e9) | st.none(),
        "platform": st.sampled_from(["java", "node"]) | st.none(),
        "level": st.sampled_from(["error", "fatal"]),
        "extra": st.dictionaries(_keys, _plain, max_size=12),
        "tags": st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=4),
        "contexts": st.dictionaries(
            st.sampled_from(["cloudwatch", "trace"]), st.dictionaries(_keys, _plain, max_size=3)
        ),
        "request": st.fixed_dictionaries(
            {},
            optional={
                "url": st.text(max_size=10),
                "headers": st.dictionaries(_keys, st.text(max_size=4), max_size=3),
                "cookies": st.dictionaries(_keys, st.text(max_size=4), max_size=2),
            },
        ),
        "exception": st.fixed_dictionaries({"values": st.lists(_exception, max_size=2)}),
        "sdk": st.none() | st.just({"name": "custom"}),
    },
)


def _some_frame(event: dict[str, Any]) -> dict[str, Any]:
    """A frame of ``event``, added if it has none."""
    frames = _frames(event)
    if frames:
        return frames[-1]
    frame: dict[str, Any] = {"function": "f", "in_app": True}
    event["exception"] = {"values": [{"type": "E", "stacktrace": {"frames": [frame]}}]}
    return frame


# Parts capture_event rewrites: some events get one of them.
_REWRITES: list[Any] = [
    lambda e, path: e.update(user={"ip_address": "10.0.0.1"}),
    lambda e, path: e.update(breadcrumbs={"values": [{"data": {"token": "t"}}]}),
    lambda e, path: e.setdefault("request", {}).update(data={"items": list(range(12))}),
    lambda e, path: e.update(type="transaction"),
    lambda e, path: e.update(profile={}),
    lambda e, path: e.setdefault("contexts", {}).update(
        trace={"trace_id": "0" * 32, "dynamic_sampling_context": {"release": "1"}}
    ),
    lambda e, path: _some_frame(e).update(in_app=None, abs_path=path),
    lambda e, path: _some_frame(e).pop("in_app") and _some_frame(e).update(abs_path=path),
    lambda e, path: _some_frame(e).update(vars={"password": "hunter2"}),
]


@st.composite
def _events(draw: st.DrawFn) -> dict[str, Any]:
    """A mostly plain event; in some, a part capture_event rewrites or a non-JSON value or key."""
    event: dict[str, Any] = draw(_base)
    if draw(st.integers(0, 3)) == 0:
        draw(st.sampled_from(_REWRITES))(event, draw(st.sampled_from(_PATHS)))
    if draw(st.integers(0, 3)) == 0:
        where = draw(st.sampled_from(["extra", "tags", "contexts"]))
        bag = event.setdefault(where, {})
        if draw(st.booleans()):
            bag[draw(st.text(max_size=3))] = draw(_odd)
        else:
            bag[draw(st.integers() | st.booleans() | st.none())] = "key"
    return event


class TestDirectEnvelopesGenerated:
    @settings(
        max_examples=500,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(event=_events())
    def test_shortcut_is_the_sdk_or_nothing(self, paths: _Paths, event: dict[str, Any]) -> None:
        """On generated events the shortcut either declines or matches capture_event exactly."""
        direct = paths.directly(event)
        hypothesis.event("shortcut" if direct is not None else "through the SDK")
        if direct is not None:
            assert direct == paths.through_sdk(event)
