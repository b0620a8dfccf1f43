"""Tests for logship.rules: matchers, fingerprint rules, ignore rules and decisions.

The errors here are built as records (the parse stage's output), not as trace
text: what is under test is what the rules do with a parsed chain.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fresh_interpreter import loaded_modules

import logship.rules
from logship.config import Config, parse_config
from logship.decode import from_path
from logship.fingerprint import fingerprint
from logship.pipeline import RunReport, run
from logship.records import (
    Annotation,
    ExceptionInfo,
    Fingerprinted,
    Frame,
    LogRecord,
    Outcome,
    ParsedError,
    Relation,
    Status,
)
from logship.rules import _decide, decide, expired_rules, expiry_warnings
from logship.rules._match import (
    apply_fingerprint_rule,
    match,
    sample_keeps,
    short_name,
    subject_of,
    type_matches,
)

TODAY = date(2024, 6, 1)
ACCOUNT = "123456789012"

RUNTIME = "java.lang.RuntimeException"
TIMEOUT = "java.net.SocketTimeoutException"
CLIENT_ABORT = "org.apache.catalina.connector.ClientAbortException"
BROKEN_PIPE = "java.io.IOException"


def make_item(
    *chain: tuple[str, str],
    service: str = "order-service",
    log_group: str = "/ecs/order-service",
    log_stream: str = "ecs/order-service/0f3a",
    account: str = ACCOUNT,
    level: str = "error",
    logger: str = "com.shop.OrderController",
    message: str = "",
    event_id: str = "37512345678901234567890123456789012345678901234567890001",
    function: tuple[str, str] = ("charge", "com.shop.PaymentClient"),
) -> Fingerprinted:
    """A fingerprinted error with the given chain, outermost first."""
    frames = (Frame(function[0], function[1], "PaymentClient.java", 88, in_app=True),)
    exceptions = tuple(
        ExceptionInfo(
            type=type_,
            message=text,
            frames=frames if index == len(chain) - 1 else (),
            relation=Relation.CAUSE if index else None,
        )
        for index, (type_, text) in enumerate(chain)
    )
    record = LogRecord(
        log_group=log_group,
        log_stream=log_stream,
        owner=account,
        region="eu-west-1",
        timestamp=1_717_200_000_000,
        event_ids=(event_id,),
        lines=(message or "ERROR boom",),
    )
    error = ParsedError(
        record=record,
        service=service,
        level=level,
        message=message,
        logger=logger,
        language="java" if chain else "",
        chain=exceptions,
    )
    return fingerprint(error)


def rules(text: str) -> Config:
    """A config from TOML text, with the production account mapped to "production"."""
    return parse_config(f'[environments]\n"{ACCOUNT}" = "production"\n{text}', source="t.toml")


class TestShortName:
    @pytest.mark.parametrize(
        ("type_name", "short"),
        [
            (TIMEOUT, "SocketTimeoutException"),
            ("ValueError", "ValueError"),
            ("Net::ReadTimeout", "ReadTimeout"),
            ("App\\Http\\NotFound", "NotFound"),
            ("PHP Fatal error", "PHP Fatal error"),
        ],
    )
    def test_last_segment(self, type_name: str, short: str) -> None:
        """Dotted, Ruby and PHP names reduce to their last segment; spaced names stay."""
        assert short_name(type_name) == short


class TestTypeMatches:
    def test_exact_full_name(self) -> None:
        """The full name matches itself."""
        assert type_matches(TIMEOUT, TIMEOUT)

    def test_short_name_matches_qualified_type(self) -> None:
        """``SocketTimeoutException`` matches ``java.net.SocketTimeoutException``."""
        assert type_matches("SocketTimeoutException", TIMEOUT)

    def test_package_glob(self) -> None:
        """``java.net.*Exception`` matches a java.net exception, not a java.io one."""
        assert type_matches("java.net.*Exception", TIMEOUT)
        assert not type_matches("java.net.*Exception", BROKEN_PIPE)

    def test_short_name_is_not_a_suffix_match(self) -> None:
        """``Exception`` does not match ``RuntimeException``: short names compare whole."""
        assert not type_matches("Exception", RUNTIME)
        assert type_matches("Exception", "java.lang.Exception")

    def test_case_sensitive(self) -> None:
        """Type names are case-sensitive, as in every runtime."""
        assert not type_matches("sockettimeoutexception", TIMEOUT)


class TestMatch:
    """One test per matcher key, each with a matching and a non-matching error."""

    @pytest.mark.parametrize(
        ("rule", "hit", "miss"),
        [
            ('service = "order-*"', {}, {"service": "payment"}),
            ('log_group = "/ecs/order-*"', {}, {"log_group": "/ecs/payment"}),
            ('log_stream = "ecs/order-service/*"', {}, {"log_stream": "web/payment/1"}),
            (f'account = "{ACCOUNT}"', {}, {"account": "210987654321"}),
            ('environment = "prod*"', {}, {"account": "210987654321"}),
            ('level = ["error", "fatal"]', {}, {"level": "warning"}),
            ('logger = "com.shop.*"', {}, {"logger": "org.hibernate.SQL"}),
        ],
    )
    def test_scalar_keys(self, rule: str, hit: dict[str, Any], miss: dict[str, Any]) -> None:
        """Each scalar key matches by glob (level exactly) and rejects other values."""
        config = rules(f"[[ignore]]\nreason = 'r'\n{rule}\n")
        matcher = config.ignore_rules[0].match
        chain = (RUNTIME, "failed")
        assert match(matcher, subject_of(make_item(chain, **hit), config), 0.1).matched
        result = match(matcher, subject_of(make_item(chain, **miss), config), 0.1)
        assert not result.matched
        assert result.key == rule.split(" ", 1)[0]

    def test_exception_anywhere_in_chain(self) -> None:
        """``exception`` matches the outermost type, a middle one or the root cause."""
        config = rules("[[ignore]]\nreason = 'r'\nexception = 'SocketTimeoutException'\n")
        matcher = config.ignore_rules[0].match
        nested = make_item((RUNTIME, "a"), (TIMEOUT, "b"), ("java.io.IOException", "c"))
        top = make_item((TIMEOUT, "b"))
        other = make_item((RUNTIME, "a"), ("java.io.IOException", "c"))
        assert match(matcher, subject_of(nested, config), 0.1).matched
        assert match(matcher, subject_of(top, config), 0.1).matched
        assert not match(matcher, subject_of(other, config), 0.1).matched

    def test_exception_top_only_outermost(self) -> None:
        """``exception_top`` ignores what the outermost exception wraps."""
        config = rules("[[ignore]]\nreason = 'r'\nexception_top = 'SocketTimeoutException'\n")
        matcher = config.ignore_rules[0].match
        assert match(matcher, subject_of(make_item((TIMEOUT, "b")), config), 0.1).matched
        wrapped = make_item((RUNTIME, "a"), (TIMEOUT, "b"))
        assert not match(matcher, subject_of(wrapped, config), 0.1).matched

    def test_root_cause_only_innermost(self) -> None:
        """``root_cause`` looks at the last exception of the chain only."""
        config = rules("[[ignore]]\nreason = 'r'\nroot_cause = 'java.net.*'\n")
        matcher = config.ignore_rules[0].match
        wrapped = make_item((RUNTIME, "a"), (TIMEOUT, "b"))
        assert match(matcher, subject_of(wrapped, config), 0.1).matched
        inverted = make_item((TIMEOUT, "b"), (RUNTIME, "a"))
        assert not match(matcher, subject_of(inverted, config), 0.1).matched

    def test_type_keys_never_match_untyped_errors(self) -> None:
        """An ERROR line without a trace has no types: type keys do not match it."""
        config = rules("[[ignore]]\nreason = 'r'\nexception = '*'\n")
        untyped = make_item(message="payment declined for order 17")
        assert not match(config.ignore_rules[0].match, subject_of(untyped, config), 0.1).matched

    def test_message_regex_searches_log_and_chain_messages(self) -> None:
        """``message`` is a regex searched in the log message and every exception message."""
        config = rules("[[ignore]]\nreason = 'r'\nmessage = 'read ECONNRESET|Broken pipe'\n")
        matcher = config.ignore_rules[0].match
        in_chain = make_item((RUNTIME, "failed"), ("java.io.IOException", "Broken pipe"))
        in_log = make_item(message="upstream said: read ECONNRESET")
        neither = make_item((RUNTIME, "failed"), (TIMEOUT, "Read timed out"))
        assert match(matcher, subject_of(in_chain, config), 0.1).matched
        assert match(matcher, subject_of(in_log, config), 0.1).matched
        assert not match(matcher, subject_of(neither, config), 0.1).matched

    def test_message_glob_matches_whole_message(self) -> None:
        """``message_glob`` must match a whole message, so it needs its own ``*``."""
        config = rules("[[ignore]]\nreason = 'r'\nmessage_glob = '*Broken pipe*'\n")
        exact = rules("[[ignore]]\nreason = 'r'\nmessage_glob = 'Broken pipe'\n")
        item = make_item((BROKEN_PIPE, "java.io.IOException: Broken pipe (Write failed)"))
        assert match(config.ignore_rules[0].match, subject_of(item, config), 0.1).matched
        assert not match(exact.ignore_rules[0].match, subject_of(item, exact), 0.1).matched

    def test_keys_combine_with_and_values_with_or(self) -> None:
        """Every key must match; within a key, any of its values will do."""
        config = rules(
            "[[ignore]]\nreason = 'r'\n"
            "service = ['checkout', 'order-*']\nroot_cause = 'SocketTimeoutException'\n"
        )
        matcher = config.ignore_rules[0].match
        both = make_item((RUNTIME, "a"), (TIMEOUT, "b"), service="checkout")
        wrong_service = make_item((RUNTIME, "a"), (TIMEOUT, "b"), service="search")
        wrong_type = make_item((RUNTIME, "a"), service="order-service")
        assert match(matcher, subject_of(both, config), 0.1).matched
        assert match(matcher, subject_of(wrong_service, config), 0.1).key == "service"
        assert match(matcher, subject_of(wrong_type, config), 0.1).key == "root_cause"


class TestFingerprintRules:
    def test_template_variables(self) -> None:
        """Every template variable renders from the error."""
        config = rules(
            "[[fingerprint]]\nname = 'all'\nservice = '*'\n"
            "fingerprint = ['{{ service }}', '{{ type }}', '{{ root_cause }}', "
            "'{{ message_template }}', 'fn={{ function }}', '{{ logger }}', "
            "'{{ log_group }}', '{{ level }}']\n"
        )
        item = make_item((RUNTIME, "failed"), (TIMEOUT, "Read timed out after 3000 ms"))
        result = apply_fingerprint_rule(item, config.fingerprint_rules[0])
        assert result.fingerprint == (
            "order-service",
            RUNTIME,
            TIMEOUT,
            "Read timed out after <DURATION>",
            "fn=com.shop.PaymentClient.charge",
            "com.shop.OrderController",
            "/ecs/order-service",
            "error",
        )
        assert result.rule == "all"

    def test_default_expands_to_default_elements(self) -> None:
        """``{{ default }}`` splices the default fingerprint's elements in place."""
        config = rules(
            "[[fingerprint]]\nservice = '*'\nfingerprint = ['{{ default }}', '{{ function }}']\n"
        )
        item = make_item((RUNTIME, "failed"), (TIMEOUT, "Read timed out"))
        result = apply_fingerprint_rule(item, config.fingerprint_rules[0])
        assert result.fingerprint == (*item.fingerprint, "com.shop.PaymentClient.charge")
        assert result.rule == "fingerprint[1]"

    def test_title_template_and_default_title(self) -> None:
        """A rule's title renders its variables; without one the default title stays."""
        titled = rules(
            "[[fingerprint]]\nservice = '*'\nfingerprint = ['x']\n"
            "title = 'Stripe error in {{ service }}'\n"
        )
        untitled = rules("[[fingerprint]]\nservice = '*'\nfingerprint = ['x']\n")
        item = make_item((RUNTIME, "failed"))
        assert (
            apply_fingerprint_rule(item, titled.fingerprint_rules[0]).title
            == "Stripe error in order-service"
        )
        assert apply_fingerprint_rule(item, untitled.fingerprint_rules[0]).title == item.title

    def test_untyped_and_frameless_placeholders(self) -> None:
        """An untyped error renders ``<untyped>`` types and a placeholder function."""
        config = rules(
            "[[fingerprint]]\nservice = '*'\n"
            "fingerprint = ['{{ type }}', '{{ root_cause }}', '{{ function }}']\n"
        )
        untyped = make_item(message="payment declined")
        result = apply_fingerprint_rule(untyped, config.fingerprint_rules[0])
        assert result.fingerprint == ("<untyped>", "<untyped>", "<no-in-app-frame>")

    def test_first_match_wins(self) -> None:
        """Fingerprint rules are tried in file order; the first that matches applies."""
        config = rules(
            "[[fingerprint]]\nname = 'stripe'\nexception = 'com.stripe.*'\n"
            "fingerprint = ['stripe']\n"
            "[[fingerprint]]\nname = 'payments'\nservice = 'order-*'\nfingerprint = ['pay']\n"
        )
        stripe = make_item((RUNTIME, "a"), ("com.stripe.exception.CardException", "declined"))
        other = make_item((RUNTIME, "a"), (TIMEOUT, "b"))
        decided = decide(stripe, config, today=TODAY)
        assert decided.item.fingerprint == ("stripe",)
        assert decided.fingerprint_rule == "stripe"
        assert decide(other, config, today=TODAY).item.fingerprint == ("pay",)

    def test_groups_provider_errors_by_root_cause(self) -> None:
        """All com.stripe.* root causes in any service share one issue."""
        config = rules(
            "[[fingerprint]]\nname = 'stripe'\nroot_cause = 'com.stripe.*'\n"
            "fingerprint = ['stripe', '{{ root_cause }}']\n"
        )
        card = "com.stripe.exception.CardException"
        in_orders = make_item((RUNTIME, "a"), (card, "declined"), service="orders")
        in_billing = make_item(("java.util.concurrent.ExecutionException", "x"), (card, "no"))
        assert (
            decide(in_orders, config, today=TODAY).item.fingerprint
            == decide(in_billing, config, today=TODAY).item.fingerprint
            == ("stripe", card)
        )

    def test_no_rules_keeps_the_item(self) -> None:
        """Without rules the decision is the item itself, untouched."""
        item = make_item((RUNTIME, "a"))
        decided = decide(item, Config(), today=TODAY)
        assert decided.item is item
        assert not decided.ignored
        assert decided.fingerprint_rule == ""


class TestIgnoreRules:
    def test_ignored_with_reason(self) -> None:
        """A matching ignore rule drops the error and says why."""
        config = rules(
            "[[ignore]]\nname = 'client-aborts'\nreason = 'the client hung up'\n"
            f"exception = '{CLIENT_ABORT}'\n"
        )
        item = make_item((CLIENT_ABORT, "java.io.IOException: Broken pipe"))
        decided = decide(item, config, today=TODAY)
        assert decided.ignored
        assert (decided.ignore_rule, decided.reason) == ("client-aborts", "the client hung up")

    def test_first_matching_ignore_rule_decides(self) -> None:
        """With two matching ignore rules, the earlier one is reported."""
        config = rules(
            "[[ignore]]\nname = 'a'\nreason = 'first'\nservice = '*'\n"
            "[[ignore]]\nname = 'b'\nreason = 'second'\nservice = '*'\n"
        )
        assert decide(make_item((RUNTIME, "x")), config, today=TODAY).ignore_rule == "a"

    def test_ignore_sees_the_new_fingerprint(self) -> None:
        """Fingerprint rules run first: an ignored error carries its rule's fingerprint."""
        config = rules(
            "[[fingerprint]]\nname = 'fp'\nservice = '*'\nfingerprint = ['custom']\n"
            "[[ignore]]\nname = 'ig'\nreason = 'noise'\nservice = '*'\n"
        )
        decided = decide(make_item((RUNTIME, "x")), config, today=TODAY)
        assert decided.item.fingerprint == ("custom",)
        assert decided.ignore_rule == "ig"

    def test_not_matching_ships(self) -> None:
        """An error no rule matches is shipped with its default fingerprint."""
        config = rules("[[ignore]]\nreason = 'r'\nservice = 'search'\n")
        item = make_item((RUNTIME, "x"))
        decided = decide(item, config, today=TODAY)
        assert not decided.ignored
        assert decided.ignore_rule == ""
        assert decided.item.fingerprint == item.fingerprint


class TestExpiry:
    CONFIG = "[[ignore]]\nname = 'known'\nreason = 'fix in JIRA-123'\nservice = '*'\n"

    def test_applies_through_its_until_date(self) -> None:
        """``until`` is inclusive: on that day the rule still drops errors."""
        config = rules(self.CONFIG + "until = 2024-06-01\n")
        assert decide(make_item((RUNTIME, "x")), config, today=date(2024, 6, 1)).ignored
        assert expiry_warnings(config, date(2024, 6, 1)) == ()

    def test_stops_applying_after_and_warns(self) -> None:
        """The day after ``until`` the rule is skipped and a warning names it."""
        config = rules(self.CONFIG + "until = 2024-06-01\n")
        decided = decide(make_item((RUNTIME, "x")), config, today=date(2024, 6, 2))
        assert not decided.ignored
        assert [rule.name for rule in expired_rules(config, date(2024, 6, 2))] == ["known"]
        (warning,) = expiry_warnings(config, date(2024, 6, 2))
        assert "'known' expired on 2024-06-01" in warning
        assert warning.startswith("t.toml: ")

    def test_expired_rule_lets_the_next_one_match(self) -> None:
        """An expired rule does not hide a later rule that still applies."""
        config = rules(
            self.CONFIG + "until = 2024-01-01\n"
            "[[ignore]]\nname = 'later'\nreason = 'r'\nservice = '*'\n"
        )
        assert decide(make_item((RUNTIME, "x")), config, today=TODAY).ignore_rule == "later"


class TestSampling:
    def test_same_event_same_decision(self) -> None:
        """The keep/drop answer depends only on the fingerprint and the event id."""
        answers = {sample_keeps(("svc", "T"), "event-42", 10) for _ in range(100)}
        assert len(answers) == 1

    def test_rate_is_about_one_in_n(self) -> None:
        """Over 20,000 event ids, 1 in 10 is kept (within 10% of the expected count)."""
        kept = sum(sample_keeps(("svc", "T"), f"{i:056d}", 10) for i in range(20_000))
        assert 1800 <= kept <= 2200

    def test_one_in_one_keeps_everything(self) -> None:
        """A rate of 1 keeps every error."""
        assert all(sample_keeps(("x",), str(i), 1) for i in range(100))

    def test_decide_keeps_sampled_errors(self) -> None:
        """A sampled rule still reports its hit, but keeps about 1 in N errors to ship."""
        config = rules("[[ignore]]\nname = 's'\nreason = 'r'\nservice = '*'\nsample = 4\n")
        decisions = [
            decide(make_item((RUNTIME, "x"), event_id=f"{i:056d}"), config, today=TODAY)
            for i in range(4000)
        ]
        assert all(d.ignore_rule == "s" for d in decisions)
        kept = [d for d in decisions if d.sampled]
        assert 800 <= len(kept) <= 1200
        assert not any(d.ignored for d in kept)
        again = decide(kept[0].item, config, today=TODAY)
        assert again.sampled


class TestRegexTimeout:
    def test_slow_regex_times_out_as_no_match(self) -> None:
        """A pattern the static check misses stops at the timeout and counts as no match.

        The decision names the rule whose match timed out: that it stopped is the
        regex package's promise, so no wall-clock bound is asserted here.
        """
        config = parse_config(
            "regex_timeout_ms = 20\n[[ignore]]\nname = 'slow'\nreason = 'r'\n"
            "message = '(.*?,){11}P'\n",
            source="t.toml",
        )
        item = make_item((RUNTIME, "1," * 40))
        decided = decide(item, config, today=TODAY)
        assert not decided.ignored
        assert decided.regex_timeouts == ("slow",)


class TestExplainChecks:
    def test_lists_every_rule_with_status(self) -> None:
        """With ``explain``, each rule appears once with why it did or did not match."""
        config = rules(
            "[[fingerprint]]\nname = 'fp-miss'\nservice = 'search'\nfingerprint = ['x']\n"
            "[[fingerprint]]\nname = 'fp-hit'\nroot_cause = 'SocketTimeoutException'\n"
            "fingerprint = ['{{ default }}', '{{ function }}']\n"
            "[[fingerprint]]\nname = 'fp-late'\nservice = '*'\nfingerprint = ['y']\n"
            "[[ignore]]\nname = 'old'\nreason = 'r'\nservice = '*'\nuntil = 2020-01-01\n"
            "[[ignore]]\nname = 'ig'\nreason = 'r'\nservice = 'order-*'\n"
        )
        item = make_item((RUNTIME, "a"), (TIMEOUT, "b"))
        decided = decide(item, config, today=TODAY, explain=True)
        statuses = [(c.kind, c.name, c.status) for c in decided.checks]
        assert statuses == [
            ("fingerprint", "fp-miss", Status.NO_MATCH),
            ("fingerprint", "fp-hit", Status.MATCHED),
            ("fingerprint", "fp-late", Status.SKIPPED),
            ("ignore", "old", Status.EXPIRED),
            ("ignore", "ig", Status.MATCHED),
        ]
        assert decided.checks[0].detail == "service: none of 'search' matches 'order-service'"

    def test_no_checks_without_explain(self) -> None:
        """The pipeline's calls do not pay for explanations."""
        config = rules("[[ignore]]\nreason = 'r'\nservice = 'x'\n")
        assert decide(make_item((RUNTIME, "a")), config, today=TODAY).checks == ()


class TestPipelineRun:
    """The rules stage as ``pipeline.run`` applies it, on a trace a JVM printed."""

    TRACE = Path(__file__).resolve().parent / "fixtures/traces/java/chained_socket_timeout.txt"

    def outcomes(self, text: str, today: date = TODAY) -> tuple[list[Outcome], RunReport]:
        config = parse_config(text, source="t.toml")
        report = RunReport()
        items = from_path(self.TRACE, log_group="/ecs/order-service")
        return list(run(items, config, report, today=today)), report

    def test_ignored_outcome_and_counts(self) -> None:
        """An ignored error yields its rule and reason and is counted as ignored."""
        (outcome,), report = self.outcomes(
            "[[fingerprint]]\nname = 'fp'\nroot_cause = 'SocketTimeoutException'\n"
            "fingerprint = ['inventory-timeouts']\n"
            "[[ignore]]\nname = 'ig'\nreason = 'migration'\nservice = 'order-service'\n"
        )
        assert (outcome.ignored_by, outcome.reason) == ("ig", "migration")
        assert outcome.item.fingerprint == ("inventory-timeouts",)
        assert report.ignored == 1
        assert report.ignore_hits == {"ig": 1}
        assert report.fingerprint_hits == {"fp": 1}
        assert report.balanced()

    def test_expired_rule_warns_and_ships(self) -> None:
        """An expired rule lets the error through and leaves a warning on the report."""
        (outcome,), report = self.outcomes(
            "[[ignore]]\nname = 'old'\nreason = 'r'\nservice = '*'\nuntil = 2024-01-31\n"
        )
        assert outcome.ignored_by == ""
        assert report.ignored == 0
        assert report.ignore_hits == {}
        assert len(report.rule_warnings) == 1
        assert "'old' expired on 2024-01-31" in report.rule_warnings[0]
        assert report.as_dict()["rule_warnings"] == report.rule_warnings

    def test_sampled_outcome(self) -> None:
        """A sampled rule's decision is the one ``sample_keeps`` gives for that error."""
        (outcome,), report = self.outcomes(
            "[[ignore]]\nname = 's'\nreason = 'r'\nservice = '*'\nsample = 2\n"
        )
        kept = sample_keeps(outcome.item.fingerprint, outcome.item.error.event_ids[0], 2)
        assert report.ignore_hits == {"s": 1}
        assert outcome.sampled_by == ("s" if kept else "")
        assert outcome.ignored_by == ("" if kept else "s")
        assert report.ignore_sampled == ({"s": 1} if kept else {})
        assert report.ignored == (0 if kept else 1)


# What only a rules file needs: the loader, its TOML parser, regex engine and hints.
LOADER = frozenset(
    {"logship.config._document", "logship.config._regex_safety", "tomllib", "regex", "difflib"}
)


class TestLazyLoading:
    """The matchers load with the first config that has rules, and then behave as before."""

    def test_package_defers_loader_and_matchers(self) -> None:
        """``import logship.rules`` and a rule-less decision load neither loader nor matchers."""
        loaded = loaded_modules(
            "from datetime import date\n"
            "from logship.config import Config\n"
            "from logship.records import Fingerprinted, LogRecord, ParsedError\n"
            "from logship.rules import decide\n"
            "record = LogRecord('g', 's', '', '', 0, ('1',), ('boom',))\n"
            "item = Fingerprinted(ParsedError(record, 'svc', 'error', 'boom'), ('f',), 't', 'm')\n"
            "assert decide(item, Config(), today=date(2024, 1, 1)).item is item"
        )
        assert "logship.rules._decide" in loaded
        assert not loaded & (LOADER | {"logship.rules._match", "logship.config.rules"})

    def test_rules_load_the_matchers(self) -> None:
        """A config with rules brings the loader and the rule records; deciding, the matchers."""
        loaded = loaded_modules(
            "from datetime import date\n"
            "from logship.config import parse_config\n"
            "from logship.records import Fingerprinted, LogRecord, ParsedError\n"
            "from logship.rules import decide\n"
            "config = parse_config(\"[[ignore]]\\nreason = 'r'\\nmessage = 'x+'\\n\")\n"
            "record = LogRecord('g', 's', '', '', 0, ('1',), ('boom',))\n"
            "item = Fingerprinted(ParsedError(record, 'svc', 'error', 'boom'), ('f',), 't', 'm')\n"
            "decide(item, config, today=date(2024, 1, 1))"
        )
        assert {"logship.rules._match", "logship.config.rules"} | LOADER <= loaded

    @pytest.mark.parametrize("name", logship.rules.__all__)
    def test_every_exported_name_resolves(self, name: str) -> None:
        """Each name of ``__all__`` is the object its private module defines."""
        value = getattr(logship.rules, name)
        modules = (_decide,)
        homes = [vars(m) for m in modules if name in vars(m)]
        assert homes
        assert all(home[name] is value for home in homes)
        assert name in dir(logship.rules)

    def test_unknown_name_raises(self) -> None:
        """A name the package does not have is an AttributeError, as for any module."""
        with pytest.raises(AttributeError, match="no_such_rule"):
            logship.rules.no_such_rule  # noqa: B018


class TestAnnotateRules:
    """Every matching annotate rule applies; the first to set a key wins."""

    def test_matching_rule_sets_every_key(self) -> None:
        """team, severity, the rendered runbook and its rule, tags and the rule's name."""
        config = rules(
            "[[annotate]]\nname = 'orders'\nservice = 'order-*'\nteam = 'checkout'\n"
            "severity = 'high'\ntags = { tier = '1' }\n"
            "runbook = 'https://wiki.example.com/runbooks/{{ service }}/{{ root_cause }}'\n"
        )
        decided = decide(make_item((RUNTIME, "a"), (TIMEOUT, "b")), config, today=TODAY)
        assert decided.annotation == Annotation(
            team="checkout",
            severity="high",
            runbook="https://wiki.example.com/runbooks/order-service/java.net.SocketTimeoutException",
            runbook_rule="orders",
            tags=(("tier", "1"),),
            rules=("orders",),
        )
        assert decided.annotation.sentry_tags() == (
            ("team", "checkout"),
            ("severity", "high"),
            ("tier", "1"),
        )

    def test_first_rule_wins_per_key(self) -> None:
        """A later rule fills only the keys earlier ones left unset; tags merge key by key."""
        config = rules(
            "[[annotate]]\nname = 'timeouts'\nroot_cause = 'SocketTimeoutException'\n"
            "severity = 'low'\ntags = { kind = 'timeout' }\n"
            "[[annotate]]\nname = 'orders'\nservice = 'order-service'\nteam = 'checkout'\n"
            "severity = 'critical'\nrunbook = 'https://w/orders'\n"
            "tags = { kind = 'bug', tier = '1' }\n"
            "[[annotate]]\nname = 'everyone'\nservice = '*'\nteam = 'platform'\n"
            "runbook = 'https://w/generic'\n"
            "[[annotate]]\nname = 'search'\nservice = 'search'\nteam = 'search'\n"
        )
        annotation = decide(make_item((TIMEOUT, "b")), config, today=TODAY).annotation
        assert (annotation.team, annotation.severity) == ("checkout", "low")
        assert (annotation.runbook, annotation.runbook_rule) == ("https://w/orders", "orders")
        assert annotation.tags == (("kind", "timeout"), ("tier", "1"))
        assert annotation.rules == ("timeouts", "orders", "everyone")

    def test_no_match_is_the_empty_annotation(self) -> None:
        """An error no rule matches gets the falsy default annotation and no tags."""
        config = rules("[[annotate]]\nservice = 'search'\nteam = 'search'\n")
        annotation = decide(make_item((RUNTIME, "a")), config, today=TODAY).annotation
        assert annotation == Annotation()
        assert not annotation
        assert annotation.sentry_tags() == ()

    def test_runbook_values_are_percent_encoded(self) -> None:
        """Each variable is one URL segment: '/' and '<>' are encoded, the URL stays valid."""
        config = rules(
            "[[annotate]]\nservice = '*'\n"
            "runbook = 'https://w/{{ log_group }}/{{ root_cause }}?q={{ message_template }}'\n"
        )
        annotation = decide(make_item(message="disk full"), config, today=TODAY).annotation
        assert annotation.runbook == "https://w/%2Fecs%2Forder-service/%3Cuntyped%3E?q=disk%20full"

    def test_render_runbook_uses_the_fingerprint_variables(self) -> None:
        """The runbook sees the values a fingerprint template sees, after a fingerprint rule."""
        config = rules(
            "[[fingerprint]]\nname = 'fp'\nservice = '*'\nfingerprint = ['x']\n"
            "[[annotate]]\nservice = '*'\nrunbook = 'https://w/{{ function }}/{{ level }}'\n"
        )
        decided = decide(make_item((TIMEOUT, "b")), config, today=TODAY)
        assert decided.item.fingerprint == ("x",)
        assert decided.annotation.runbook == "https://w/com.shop.PaymentClient.charge/error"

    def test_ignored_errors_are_not_annotated(self) -> None:
        """An error an ignore rule drops gets no annotation and no routes."""
        config = rules(
            "[[ignore]]\nname = 'ig'\nreason = 'r'\nservice = '*'\n"
            "[[annotate]]\nname = 'a'\nservice = '*'\nteam = 't'\n"
            "[[route]]\nname = 'r'\nservice = '*'\neventbridge_bus = 'default'\n"
        )
        decided = decide(make_item((RUNTIME, "a")), config, today=TODAY, explain=True)
        assert decided.ignored
        assert decided.annotation == Annotation()
        assert decided.routes == ()
        assert [(c.kind, c.name, c.status) for c in decided.checks][-2:] == [
            ("annotate", "a", Status.SKIPPED),
            ("route", "r", Status.SKIPPED),
        ]

    def test_sampled_errors_are_annotated(self) -> None:
        """The 1-in-N sample an ignore rule keeps is shipped, so it is annotated and routed."""
        config = rules(
            "[[ignore]]\nname = 'ig'\nreason = 'r'\nservice = '*'\nsample = 2\n"
            "[[annotate]]\nname = 'a'\nservice = '*'\nteam = 't'\n"
            "[[route]]\nname = 'r'\nservice = '*'\neventbridge_bus = 'default'\n"
        )
        for number in range(20):
            item = make_item((RUNTIME, "a"), event_id=f"{number:056d}")
            decided = decide(item, config, today=TODAY)
            assert decided.annotation.rules == (() if decided.ignored else ("a",))
            assert decided.routes == (() if decided.ignored else ("r",))

    def test_regex_timeouts_are_reported(self) -> None:
        """An annotate rule whose message regex times out is named like any other rule."""
        config = parse_config(
            "regex_timeout_ms = 20\n[[annotate]]\nname = 'slow'\nteam = 't'\n"
            "message = '(.*?,){11}P'\n"
        )
        item = make_item((RUNTIME, "1," * 40))
        decided = decide(item, config, today=TODAY)
        assert "slow" in decided.regex_timeouts
        assert decided.annotation == Annotation()

    def test_explain_says_what_each_rule_gave(self) -> None:
        """explain lists annotate and route rules after the others, with what they gave."""
        config = rules(
            "[[annotate]]\nname = 'miss'\nservice = 'search'\nteam = 's'\n"
            "[[annotate]]\nname = 'orders'\nservice = 'order-*'\nteam = 'checkout'\n"
            "tags = { tier = '1' }\n"
            "[[annotate]]\nname = 'late'\nservice = '*'\nteam = 'platform'\n"
            "[[route]]\nname = 'bus'\nenvironment = 'production'\neventbridge_bus = 'default'\n"
        )
        decided = decide(make_item((RUNTIME, "a")), config, today=TODAY, explain=True)
        assert [(c.kind, c.name, c.status, c.detail) for c in decided.checks] == [
            (
                "annotate",
                "miss",
                Status.NO_MATCH,
                "service: none of 'search' matches 'order-service'",
            ),
            (
                "annotate",
                "orders",
                Status.MATCHED,
                "all of service matched; gives team, tags.tier",
            ),
            (
                "annotate",
                "late",
                Status.MATCHED,
                "all of service matched; gives nothing: earlier rules set its keys",
            ),
            ("route", "bus", Status.MATCHED, "all of environment matched; to bus default"),
        ]


class TestRouteRules:
    def test_every_matching_route_applies(self) -> None:
        """An error goes to each bus whose rule matches, in file order."""
        config = rules(
            "[[route]]\nname = 'ops'\nenvironment = 'production'\neventbridge_bus = 'default'\n"
            "[[route]]\nname = 'search'\nservice = 'search'\neventbridge_bus = 'default'\n"
            "[[route]]\nname = 'timeouts'\nroot_cause = 'SocketTimeoutException'\n"
            "eventbridge_bus = 'arn:aws:events:eu-west-1:111122223333:event-bus/ops'\n"
        )
        assert decide(make_item((TIMEOUT, "b")), config, today=TODAY).routes == (
            "ops",
            "timeouts",
        )
        assert decide(make_item((RUNTIME, "a")), config, today=TODAY).routes == ("ops",)

    def test_no_rules_no_matchers_loaded(self) -> None:
        """A config without rules decides without annotations or routes."""
        decided = decide(make_item((RUNTIME, "a")), Config(), today=TODAY)
        assert (decided.annotation, decided.routes) == (Annotation(), ())


class TestPipelineAnnotations:
    """``pipeline.run`` carries annotations and routes on each outcome and counts the hits."""

    TRACE = Path(__file__).resolve().parent / "fixtures/traces/java/chained_socket_timeout.txt"

    def test_outcome_and_hits(self) -> None:
        """The outcome has the decision's annotation and routes; each rule's hits are counted."""
        config = parse_config(
            "[[annotate]]\nname = 'orders'\nservice = 'order-service'\nteam = 'checkout'\n"
            "[[annotate]]\nname = 'never'\nservice = 'search'\nteam = 'search'\n"
            "[[route]]\nname = 'bus'\nservice = '*'\neventbridge_bus = 'default'\n",
            source="t.toml",
        )
        report = RunReport()
        items = from_path(self.TRACE, log_group="/ecs/order-service")
        (outcome,) = run(items, config, report, today=TODAY)
        assert outcome.annotation.team == "checkout"
        assert outcome.routes == ("bus",)
        assert report.annotate_hits == {"orders": 1}
        assert report.route_hits == {"bus": 1}
        summary = report.as_dict()
        assert summary["annotate_rule_hits"] == {"orders": 1}
        assert summary["route_rule_hits"] == {"bus": 1}
        assert (summary["routed"], summary["route_failed"]) == (0, 0)
        assert report.balanced()

    def test_existing_callers_see_defaults(self) -> None:
        """An Outcome built without the new fields has no annotation and no routes."""
        outcome = Outcome(make_item((RUNTIME, "a")))
        assert (outcome.annotation, outcome.routes) == (Annotation(), ())
