"""Tests for logship.scrub: secrets masked in strings and events, grouping untouched."""

from __future__ import annotations

import json
import re
import string
import subprocess
import sys
import warnings
from typing import Any

import pytest
import regex  # type: ignore[import-untyped]
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from secrets_corpus import SEEDED, Seeded, card_numbers, luhn_complete

from logship import scrub as scrub_module
from logship.config import Config, ScrubConfig
from logship.config.rules import ScrubRule
from logship.event import EventSettings, build_event
from logship.fingerprint import fingerprint
from logship.mask import template
from logship.pipeline import RunReport, errors
from logship.records import ExceptionInfo, Frame, LogEvent, LogRecord, ParsedError, RequestContext
from logship.scrub import (
    DEFAULT_PATTERNS,
    DEFAULT_SCRUBBER,
    FILTERED,
    Run,
    Scrubber,
    _compile,
    _substitute,
    fold,
    is_card_number,
    luhn_valid,
    scrubber_for,
)
from logship.scrub_prefilter import Trigger, branches

SCRUB = DEFAULT_SCRUBBER.scrub_text
OFF = EventSettings(scrubber=Scrubber.disabled())
ON = EventSettings()
# The examples of AWS's own documentation (IAM "Managing access keys").
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
# jwt.io's example token.
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwi"
    "aWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


class TestLuhn:
    @pytest.mark.parametrize(
        "number",
        [
            "4242424242424242",
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "6011111111111117",
            "2223003122003222",
            "4000056655665556",
        ],
    )
    def test_test_card_numbers_pass(self, number: str) -> None:
        """The payment processors' published test numbers pass the Luhn check."""
        assert luhn_valid(number)
        assert is_card_number(number)

    @pytest.mark.parametrize(
        ("number", "why"),
        [
            ("4242424242424241", "wrong check digit"),
            ("1714557600000", "epoch milliseconds: no issuer starts with 1"),
            ("9999999999999995", "no issuer starts with 9"),
            ("424242424242", "12 digits: too short"),
            ("42424242424242424242", "20 digits: too long"),
        ],
    )
    def test_non_cards_fail(self, number: str, why: str) -> None:
        """Numbers that only look like cards are not cards."""
        assert not is_card_number(number), why

    @given(card_numbers())
    def test_generated_cards_pass(self, card: tuple[str, str]) -> None:
        """Every generated card (any issuer, any grouping) is recognized."""
        grouped, _ = card
        assert is_card_number(grouped)

    def test_check_digit_helper_agrees(self) -> None:
        """The test corpus's check-digit helper and luhn_valid agree."""
        assert luhn_complete("424242424242424") == "4242424242424242"


class TestDefaultPatterns:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("mail to bob.smith+x@example.co.uk failed", "mail to [Filtered:email] failed"),
            ("charge 4242 4242 4242 4242 declined", "charge [Filtered:creditcard] declined"),
            ("card=4242-4242-4242-4242", "card=[Filtered:creditcard]"),
            (f"Authorization: Bearer {JWT}", "Authorization: Bearer [Filtered:jwt]"),
            ("Authorization: Bearer 9f8e7d6c5b4a3928", "Authorization: Bearer [Filtered:bearer]"),
            ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [Filtered:authorization]"),
            (f"key {AWS_KEY_ID} denied", "key [Filtered:aws_access_key] denied"),
            (f"using {AWS_SECRET} now", "using [Filtered:aws_secret_key] now"),
            (f"aws_secret_access_key={AWS_SECRET}", "aws_secret_access_key=[Filtered:credential]"),
            ("login password=hunter2&next=/", "login password=[Filtered:credential]&next=/"),
            ("GET /cb?code=1&token=abc.def&x=1", "GET /cb?code=1&token=[Filtered:credential]&x=1"),
            ('{"password": "correct horse battery"}', '{"password": "[Filtered:credential]"}'),
            ("DB_PASSWORD: s3cr3t", "DB_PASSWORD: [Filtered:credential]"),
            ("X-Api-Key: k_live_123", "X-Api-Key: [Filtered:credential]"),
            ("apikey='abc def'", "apikey='[Filtered:credential]'"),
            ('{\\"secret\\":\\"abc\\"}', '{\\"secret\\":\\"[Filtered:credential]\\"}'),
            ('params {:password=>"pw 1"}', 'params {:password=>"[Filtered:credential]"}'),
            ("postgres://app:hunter2@db:5432/x", "postgres://[Filtered:urlauth]@db:5432/x"),
            (
                "dsn https://0123abcd@o1.ingest.sentry.io/42",
                "dsn https://[Filtered:urlauth]@o1.ingest.sentry.io/42",
            ),
        ],
    )
    def test_masks(self, text: str, expected: str) -> None:
        """Each kind of secret is masked and the text around it kept."""
        assert SCRUB(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            "git 3f786850e387550fdab836ed7e6dc881de23001b deployed",  # SHA-1: lower-case hex
            "at 1714557600000 ms",  # epoch milliseconds
            "order 4242424242424241 not found",  # fails the Luhn check
            "event 38129012345678901234567890123456789012345678901234567890",  # CloudWatch id
            "github.com/lib/pq@v1.10.9/conn.go:42",  # Go module version
            "node_modules/lodash@4.17.21/lodash.js",  # npm version
            "InvalidTokenException: the request could not be parsed",  # a type, not a key
            "the bearer of bad news",
            "request 123e4567-e89b-12d3-a456-426614174000 failed",  # UUID
            "java.lang.IllegalStateException: pool exhausted",
            "at com.shop.orders.OrderService.place(OrderService.java:42)",
        ],
    )
    def test_leaves_alone(self, text: str) -> None:
        """Ids, versions, hashes and exception names are not secrets."""
        assert SCRUB(text) == text

    def test_real_pem_key(self, tmp_path: Any) -> None:
        """A private key written by openssl is masked from BEGIN to END; the rest stays."""
        key = subprocess.run(
            ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        body = [line for line in key.splitlines() if not line.startswith("-----")]
        text = f"config loaded\n{key}after the key"
        out = SCRUB(text)
        assert "-----BEGIN PRIVATE KEY-----[Filtered:pemkey]-----END PRIVATE KEY-----" in out
        assert out.startswith("config loaded\n")
        assert out.endswith("after the key")
        assert not any(line in out for line in body)

    def test_pem_key_without_end(self) -> None:
        """A key cut before its END line is masked to the end of the text."""
        out = SCRUB("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yb")
        assert out == "-----BEGIN EC PRIVATE KEY-----[Filtered:pemkey]"

    def test_public_key_is_kept(self) -> None:
        """Only private keys are secrets."""
        text = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYI\n-----END PUBLIC KEY-----"
        assert SCRUB(text) == text

    @given(SEEDED)
    @settings(max_examples=300, deadline=None)
    def test_seeded_secrets_never_survive(self, seeded: Seeded) -> None:
        """Whatever the kind and shape, no seeded secret survives scrubbing."""
        out = SCRUB(f"ERROR request failed: {seeded.message} (attempt 3)")
        for secret in seeded.secrets:
            assert secret not in out, (seeded.kind, out)

    @given(st.text(max_size=300))
    @settings(max_examples=300, deadline=None)
    def test_idempotent(self, text: str) -> None:
        """Scrubbing twice changes nothing more than scrubbing once."""
        once = SCRUB(text)
        assert SCRUB(once) == once

    @given(SEEDED)
    @settings(max_examples=200, deadline=None)
    def test_idempotent_on_secrets(self, seeded: Seeded) -> None:
        """Masks are never taken for secrets themselves."""
        once = SCRUB(seeded.message)
        assert SCRUB(once) == once

    @given(st.one_of(SEEDED.map(lambda seeded: seeded.message), st.text(max_size=300)))
    @settings(max_examples=300, deadline=None)
    def test_trigger_skip_is_exact(self, text: str) -> None:
        """Skipping strings without a trigger gives what running every pattern gives."""
        every = text
        for pattern in DEFAULT_PATTERNS:
            every = _substitute(_compile(pattern), every)
        assert SCRUB(text) == every

    @pytest.mark.parametrize(
        "hostile",
        [
            "token" * 200_000,
            "a" * 1_000_000 + "@",
            "1 " * 500_000,
            "password=" * 100_000,
            "eyJa." * 200_000,
            "-----BEGIN PRIVATE KEY-----" + "A" * 1_000_000,
            ("x" * 39 + "/") * 25_000,
        ],
        ids=["tokens", "no-domain", "digit-pairs", "keys", "jwt-ish", "pem", "base64"],
    )
    def test_no_catastrophic_backtracking_on_hostile_text(self, hostile: str) -> None:
        """A megabyte built to make a backtracking regex explode is scrubbed, in a child process.

        Linear patterns take tens of milliseconds here; an exploding one would take hours.
        The child's generous timeout only stops a hang: it is no speed target (those
        are the benchmark's), so a loaded machine cannot make it fail.
        """
        program = (
            "import sys\n"
            "from logship.scrub import Scrubber\n"
            "text = sys.stdin.read()\n"
            "print(len(Scrubber().scrub_text(text)))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", program],
            input=hostile,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert int(done.stdout) > 0

    def test_every_pattern_is_commented_and_named_once_per_kind(self) -> None:
        """Pattern names are the replacement labels users disable by: all lower-case words."""
        for pattern in DEFAULT_PATTERNS:
            assert regex.fullmatch(r"[a-z_]+", pattern.name)
            assert pattern.replacement == f"[Filtered:{pattern.name}]"


class TestScrubEvent:
    def event(self) -> dict[str, Any]:
        return {
            "event_id": "0" * 32,
            "level": "error",
            "fingerprint": ["orders", "<untyped>", "login failed for <EMAIL>"],
            "logentry": {"formatted": "login failed for bob@example.com password=pw12345"},
            "exception": {
                "values": [
                    {
                        "type": "ValueError",
                        "value": "bad token=tok_ABCDEF123",
                        "mechanism": {"type": "logship", "handled": True, "exception_id": 0},
                        "stacktrace": {
                            "frames": [
                                {
                                    "function": "login",
                                    "filename": "/home/bob@example.com/app.py",
                                    "vars": {
                                        "password": "pw12345",
                                        "user": "bob@example.com",
                                        "n": 4242424242424242,
                                    },
                                }
                            ]
                        },
                    }
                ]
            },
            "tags": {"aws_account": "123456789012", "owner": "ops@example.com"},
            "contexts": {"trace": {"type": "trace", "trace_id": "a" * 32, "span_id": "b" * 16}},
            "request": {
                "url": "https://x/cb?api_key=K123",
                "headers": {"Authorization": "Basic abc", "User-Agent": "curl/8"},
            },
            "extra": {"raw_log": "ERROR login failed for bob@example.com", "cookie": "sid=1"},
            "user": {"email": "bob@example.com", "id": "42"},
            "breadcrumbs": {"values": [{"message": "POST /login email=bob@example.com"}]},
        }

    def test_every_field_is_scrubbed(self) -> None:
        """Messages, frames, vars, tags, request, extra, user and breadcrumbs are all scrubbed."""
        out = DEFAULT_SCRUBBER.scrub_event(self.event())
        text = json.dumps(out)
        for secret in (
            "bob@example.com",
            "pw12345",
            "tok_ABCDEF123",
            "K123",
            "ops@example.com",
            "4242424242424242",
            "Basic abc",
            "sid=1",
        ):
            assert secret not in text, secret
        frame = out["exception"]["values"][0]["stacktrace"]["frames"][0]
        assert frame["vars"]["password"] == FILTERED  # a denylisted key: the whole value
        assert frame["vars"]["n"] == "[Filtered:creditcard]"  # a card logged as a number
        assert out["request"]["headers"] == {"Authorization": FILTERED, "User-Agent": "curl/8"}

    def test_structure_and_ids_kept(self) -> None:
        """Ids, enums, the trace context and non-secret values come through unchanged."""
        event = self.event()
        out = DEFAULT_SCRUBBER.scrub_event(event)
        assert out["event_id"] == event["event_id"]
        assert out["contexts"] == event["contexts"]
        assert out["tags"]["aws_account"] == "123456789012"
        assert out["user"]["id"] == "42"
        assert out["fingerprint"] == event["fingerprint"]
        assert (
            out["exception"]["values"][0]["mechanism"]
            == event["exception"]["values"][0]["mechanism"]
        )

    def test_input_not_changed(self) -> None:
        """The scrubber returns a copy; the event it was given is left as it was."""
        event = self.event()
        before = json.dumps(event)
        DEFAULT_SCRUBBER(event)
        assert json.dumps(event) == before

    def test_keep_paths(self) -> None:
        """Paths listed in ``keep`` are left alone; others under the same parent are not."""
        scrubber = Scrubber(keep=("tags.owner", "user"))
        out = scrubber.scrub_event(self.event())
        assert out["tags"]["owner"] == "ops@example.com"
        assert out["user"]["email"] == "bob@example.com"
        assert "bob@example.com" not in out["logentry"]["formatted"]

    def test_disabled_changes_nothing(self) -> None:
        """The disabled scrubber returns an equal event."""
        event = self.event()
        assert Scrubber.disabled().scrub_event(event) == event


class TestCustomPatterns:
    def test_user_pattern_with_prefix(self) -> None:
        """A user pattern masks what it matches; its group 1 stays."""
        scrubber = Scrubber(custom=[("employee", regex.compile(r"(emp=)E\d{6}"))])
        assert scrubber.scrub_text("emp=E123456 ok") == "emp=[Filtered:employee] ok"

    def test_timeout_fails_closed(self) -> None:
        """A user pattern that runs past its timeout replaces the whole string."""
        slow = regex.compile(r"(a|aa)+(a|aa)+(a|aa)+b")
        scrubber = Scrubber(custom=[("slow", slow)], timeout=0.01)
        assert scrubber.scrub_text("a" * 5000) == "[Filtered:slow timed out]"

    def test_from_config(self) -> None:
        """``disable`` turns default patterns and the denylist off; ``patterns`` are added."""
        config = ScrubConfig(
            patterns=(ScrubRule("ticket", r"TCK-\d+", regex.compile(r"TCK-\d+")),),
            disable=("email", "denylist"),
            keep=("tags",),
        )
        scrubber = Scrubber.from_config(config, timeout=0.05)
        assert scrubber.scrub_text("bob@example.com TCK-42") == "bob@example.com [Filtered:ticket]"
        out = scrubber.scrub_event({"extra": {"password": "x"}, "tags": {"t": "TCK-1"}})
        assert out == {"extra": {"password": "x"}, "tags": {"t": "TCK-1"}}
        assert "email" not in scrubber.names

    def test_scrubber_for_default_config_is_shared(self) -> None:
        """An empty [scrub] table reuses the default scrubber (compiled once per process)."""
        assert scrubber_for(Config()) is DEFAULT_SCRUBBER
        assert EventSettings.from_config(Config()).scrubber is DEFAULT_SCRUBBER


def _record(text: str) -> LogRecord:
    return LogRecord(
        log_group="/ecs/orders",
        log_stream="ecs/orders/1",
        owner="123456789012",
        region="eu-west-1",
        timestamp=1_714_557_600_000,
        event_ids=("1" * 56,),
        lines=tuple(text.split("\n")),
    )


def _typed(message: str) -> ParsedError:
    """A Python error whose root cause has a generic type, so its message joins the key."""
    frames = (Frame("handle", "orders.api", "/app/orders/api.py", 12, True),)
    chain = (
        ExceptionInfo("orders.errors.OrderFailed", "order failed", frames),
        ExceptionInfo("Exception", message, frames),
    )
    return ParsedError(
        record=_record(f"ERROR {message}"),
        service="orders",
        level="error",
        message=message,
        logger="orders.api",
        language="python",
        chain=chain,
        context=RequestContext(url=f"https://api.example.com/x?q={message[:40]}"),
    )


def _untyped(message: str) -> list[Any]:
    """The errors the real pipeline finds in one plain-text ERROR line."""
    line = f"2024-05-01 10:00:00,123 ERROR [orders.api] {message}"
    first = line.split("\n", 1)[0]
    event = LogEvent(
        "/ecs/orders",
        "ecs/orders/1",
        "1" * 56,
        1_714_557_600_000,
        first,
        owner="123456789012",
        region="eu-west-1",
    )
    return list(errors([event], Config(), RunReport()))


class TestGroupingUnchanged:
    @given(SEEDED, st.sampled_from(["login failed: {}", "{}", "upstream said {} (retry 2)"]))
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    def test_fingerprint_same_with_and_without_scrubbing(self, seeded: Seeded, shape: str) -> None:
        """Fingerprints come from masked templates: scrubbing never changes them, and no
        seeded secret is in the JSON of the scrubbed event."""
        message = shape.format(seeded.message)
        items = [fingerprint(_typed(message)), *_untyped(message)]
        for item in items:
            plain, scrubbed = build_event(item, OFF), build_event(item, ON)
            assert scrubbed["fingerprint"] == plain["fingerprint"] == list(item.fingerprint)
            sent = json.dumps(scrubbed)
            for secret in seeded.secrets:
                assert secret not in sent, (seeded.kind, secret)

    @given(SEEDED)
    @settings(max_examples=200, deadline=None)
    def test_templates_hold_no_secret(self, seeded: Seeded) -> None:
        """The masks know the scrubber's patterns: a template is already free of secrets."""
        masked = template(seeded.message)
        assert SCRUB(masked) == masked
        first_line = seeded.message.split("\n", 1)[0]
        for secret in seeded.secrets:
            if secret in first_line:
                assert secret not in masked, (seeded.kind, masked)

    def test_secret_straddling_a_cut_leaves_no_prefix(self) -> None:
        """A card number the event's length limit cuts in half is masked before the cut."""
        card = "4242 4242 4242 4242"
        padding = "x" * (8192 - 10)  # the first level keeps 8192 characters of a message
        item = fingerprint(_typed(padding + " " + card))
        event = build_event(item, ON)
        assert "4242 42" not in json.dumps(event)
        assert "4242 42" in json.dumps(build_event(item, OFF))


# -- the fast paths: triggers, gates, the memo, lazy compiling ------------------------------

# Pieces of text that make or almost make a secret, mixed at random: keywords in
# every case (with the letters ``re`` folds: long s, dotless i, Kelvin sign),
# separators, values, digit runs (ASCII, Arabic-Indic, fullwidth), base64 runs,
# the JWT, PEM, AWS and URL shapes, masks, and whitespace of every kind.
_FRAGMENTS = [
    *(
        keyword
        for word in ("password", "passwd", "pwd", "secret", "token", "credentials", "cookie")
        for keyword in (word, word.upper(), word.title())
    ),
    "api_key",
    "Api-Key",
    "apikey",
    "access_key",
    "private-key",
    "session_id",
    "SessionId",
    "db_",
    "x-",
    "pa\u017f\u017fword",
    "\u017fecret",
    "to\u212aen",
    "authorization",
    "Authorization",
    "author\u0131zat\u0131on",
    "AUTHOR\u0130ZATION",
    "Proxy-Authorization",
    "bearer",
    "Bearer ",
    "Basic ",
    "Exception",
    "Error",
    "=",
    ": ",
    ":",
    '": "',
    '\\"',
    " => ",
    "'",
    '"',
    "&",
    "hunter2",
    "correct horse",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "4242424242424242",
    "1714557629364",
    "378282246310005",
    "\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661",
    "\uff14\uff11\uff11\uff11",
    "0123456789",
    " ",
    "-",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "wJalrXUtnFEMI/K7MDENG",
    "/bPxRfiCYEXAMPLEKEY",
    "AKIAIOSFODNN7EXAMPLE",
    "ASIA",
    "AKIA",
    "ABCDEFGHIJKLMNOP",
    "eyJhbGciOiJIUzI1NiJ9",
    ".eyJzdWIiOiIxIn0",
    ".sig",
    "eyJ",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----",
    "MIIEpAIBAAKCAQEA",
    "postgres://",
    "app:hunter2",
    "@",
    "bob@example.com",
    "db.internal",
    "[Filtered:credential]",
    "[Filtered]",
    "<NUM>",
    "\n",
    "\t",
    "\r\n",
    "\u3000",
    "\u00a0",
    "\u2028",
    "\u00e9",
    "\U0001f600",
    "\ud800",
]
SHAPED_TEXT = st.lists(
    st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=12)), max_size=14
).map("".join)


def _every_pattern(text: str) -> str:
    """The straightforward scrub: every default pattern, in order, no trigger."""
    for pattern in DEFAULT_PATTERNS:
        text = _substitute(_compile(pattern), text)
    return text


class TestTriggersAreExact:
    @given(st.one_of(SHAPED_TEXT, SEEDED.map(lambda seeded: seeded.message)))
    @settings(max_examples=1500, deadline=None)
    def test_same_as_every_pattern(self, text: str) -> None:
        """Triggers, gates and word-led branches skip only patterns that would change nothing."""
        assert Scrubber().scrub_text(text) == _every_pattern(text)
        assert SCRUB(text) == _every_pattern(text)  # the shared scrubber, memo and all

    @given(st.one_of(SHAPED_TEXT, SEEDED.map(lambda seeded: f"x {seeded.message} y")))
    @settings(max_examples=1000, deadline=None)
    def test_each_trigger_fires_where_its_pattern_replaces(self, text: str) -> None:
        """Pattern by pattern: a replacement (a match, for logship.mask) implies a trigger,
        and a trigger implies its gate."""
        folded = fold(text)
        for pattern in DEFAULT_PATTERNS:
            if _substitute(_compile(pattern), text) != text:
                assert Trigger(pattern.trigger, pattern.gate)(folded), pattern.name
            if pattern.validator is None and text.isascii() and re.search(pattern.pattern, text):
                # logship.mask skips a pattern on ASCII text its trigger finds nothing in.
                assert re.search(pattern.trigger, text.lower()), pattern.name
            whole = re.search(pattern.trigger, folded) is not None
            # Branch by branch, word by word: the same answer as the whole regex.
            assert Trigger(pattern.trigger, None)(folded) == whole, pattern.name
            if whole and pattern.gate is not None:
                assert pattern.gate(folded), pattern.name

    def test_long_s_and_dotless_i_no_longer_slip_through(self) -> None:
        """``(?i)`` patterns match "pa\u017f\u017fword"; the old lower() prefilter skipped them."""
        assert SCRUB("pa\u017f\u017fword=hunter2") == "pa\u017f\u017fword=[Filtered:credential]"
        assert "dXNlcjpwYXNz" not in SCRUB("author\u0131zation: Basic dXNlcjpwYXNz")

    def test_epoch_milliseconds_skip_the_card_pattern(self) -> None:
        """13-digit timestamps led by 1 cannot be cards: the trigger does not fire on them."""
        creditcard = next(p for p in DEFAULT_PATTERNS if p.name == "creditcard")
        test = Trigger(creditcard.trigger, creditcard.gate)
        assert not test(fold('{"time":1714557629364,"pid":1}'))
        assert test(fold("card 4111 1111 1111 1111"))


class TestFold:
    def test_every_letter_re_folds_to_ascii_is_folded(self) -> None:
        """Each non-ASCII character IGNORECASE matches with an ASCII letter folds to that letter."""
        every = "".join(map(chr, range(0x80, 0x110000)))
        for letter in string.ascii_lowercase:
            for char in set(re.findall(f"(?i){letter}", every)):
                assert fold(char) == letter, (hex(ord(char)), letter)

    def test_digits_keep_their_case(self) -> None:
        """Folding never touches a digit (the card trigger reads digits in the folded text)."""
        every = "".join(map(chr, range(0x110000)))
        digits = "".join(re.findall(r"\d", every))
        assert fold(digits) == digits

    def test_ascii_is_lower_cased(self) -> None:
        """ASCII text folds to its lower case."""
        assert fold("Bearer ABC") == "bearer abc"


class TestBranches:
    @pytest.mark.parametrize(
        ("regex", "expected"),
        [
            ("a|b", ["a", "b"]),
            ("a(b|c)|d", ["a(b|c)", "d"]),
            ("[|]|x", ["[|]", "x"]),
            ("[]|]|x", ["[]|]", "x"]),
            ("[^]|]|x", ["[^]|]", "x"]),
            (r"a\|b|c", [r"a\|b", "c"]),
            ("(?i)a|b", ["(?i)a|b"]),
            ("single", ["single"]),
        ],
    )
    def test_top_level_alternatives(self, regex: str, expected: list[str]) -> None:
        """Only top-level bars split; classes, groups, escapes and global flags keep theirs."""
        assert branches(regex) == expected

    @given(st.text(alphabet="ab|()[]^\\?x", max_size=12), st.text(alphabet="abx|]", max_size=20))
    @settings(max_examples=500, deadline=None)
    def test_branches_find_what_the_regex_finds(self, regex: str, text: str) -> None:
        """Searching each branch finds something exactly when the whole regex does."""
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # "[[": possible nested set
                whole = re.compile(regex)
                parts = [re.compile(branch) for branch in branches(regex)]
        except re.error:
            return  # not a regex
        assert any(p.search(text) for p in parts) == (whole.search(text) is not None)


class TestRunGate:
    @given(st.text(alphabet="a1/+ -.\u00e9\u0661", max_size=60))
    @settings(max_examples=500, deadline=None)
    def test_same_as_the_regex(self, text: str) -> None:
        """A run gate holds exactly where its regex finds the run."""
        base64 = Run("abcdefghijklmnopqrstuvwxyz0123456789/+", 40)
        digits = Run("0123456789", 13, skip=" -", non_ascii=True)
        assert base64(text) == (re.search("[a-z0-9/+]{40}", text) is not None)
        if re.search(r"\d(?:[ -]?\d){12}", text):
            assert digits(text)


class TestMemoAndCompiling:
    def test_patterns_compiled_on_first_use(self) -> None:
        """Creating a scrubber compiles nothing; the first string does."""
        scrubber = Scrubber()
        assert scrubber._prepared is None
        scrubber.scrub_text("password=hunter2")
        assert scrubber._prepared is not None

    def test_import_compiles_nothing(self) -> None:
        """Importing the module leaves the shared scrubber uncompiled (the Lambda's cold start)."""
        code = "import logship.scrub as s; assert s.DEFAULT_SCRUBBER._prepared is None; print('ok')"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "ok"

    def test_memo_is_bounded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Short strings are remembered up to a bound, then the memo starts over."""
        monkeypatch.setattr(scrub_module, "_MEMO_SIZE", 10)
        scrubber = Scrubber()
        for number in range(25):
            assert scrubber.scrub_text(f"user{number}@example.com") == "[Filtered:email]"
        assert len(scrubber._memo) <= 10

    def test_long_strings_not_remembered(self) -> None:
        """Strings past the memo's length limit are scrubbed each time, never stored."""
        scrubber = Scrubber()
        text = "x" * 300 + " password=hunter2"
        assert scrubber.scrub_text(text).endswith("password=[Filtered:credential]")
        assert text not in scrubber._memo

    def test_timed_out_result_not_remembered(self) -> None:
        """A string whose user pattern timed out is not remembered: a later try may finish."""
        slow = regex.compile(r"(a|aa)+(a|aa)+(a|aa)+b")
        scrubber = Scrubber((), custom=[("slow", slow)], timeout=0.001)
        text = "a" * 200
        assert scrubber.scrub_text(text) == "[Filtered:slow timed out]"
        assert text not in scrubber._memo


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([4111111111111111, -4242424242424242])
    | SHAPED_TEXT,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["password", "msg", "X-Api-Key", "n"]), children, max_size=4
        )
    ),
    max_leaves=12,
)


class TestScrubAt:
    @given(JSON_VALUES)
    @settings(max_examples=200, deadline=None)
    def test_same_as_the_event_walk(self, value: object) -> None:
        """``scrub_at(value, path)`` is what ``scrub_event`` makes of the value at ``path``."""
        event = {"extra": {"data": value}, "contexts": {"trace": {"trace_id": value}}}
        out = DEFAULT_SCRUBBER.scrub_event(event)
        assert DEFAULT_SCRUBBER.scrub_at(value, ("extra", "data")) == out["extra"]["data"]
        assert (
            DEFAULT_SCRUBBER.scrub_at(value, ("contexts", "trace", "trace_id"))
            == out["contexts"]["trace"]["trace_id"]
        )

    def test_denies(self) -> None:
        """``denies`` says which keys lose their whole value; never with the denylist off."""
        assert DEFAULT_SCRUBBER.denies("X-Api-Key")
        assert DEFAULT_SCRUBBER.denies("db_password")
        assert not DEFAULT_SCRUBBER.denies("service")
        assert not Scrubber(denylist=False).denies("password")

    def test_keeps(self) -> None:
        """``keeps`` says which fields the walk leaves alone: ALWAYS_KEPT, ``keep`` and below."""
        scrubber = Scrubber(keep=("tags.owner", "request"))
        assert DEFAULT_SCRUBBER.keeps(("contexts", "trace", "trace_id"))
        assert not DEFAULT_SCRUBBER.keeps(("tags", "owner"))
        assert scrubber.keeps(("tags", "owner"))
        assert not scrubber.keeps(("tags", "team"))
        assert scrubber.keeps(("request", "headers", "User-Agent"))
        assert scrubber.keeps_under(("tags",))
        assert not DEFAULT_SCRUBBER.keeps_under(("tags",))
        assert scrubber.keeps_under(("request", "url"))
