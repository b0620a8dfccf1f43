"""Tests for logship.config's loader: load_config and parse_config into a Config.

The loader's modules (``_load``, ``_document``, ``_rule_tables``, ``_values``)
are tested through ``parse_config``: each message is what a user reads.
"""

from __future__ import annotations

import dataclasses
import pickle
from datetime import date
from pathlib import Path

import pytest

from logship.config import (
    AssemblyLimits,
    Config,
    ScrubConfig,
    load_config,
    parse_config,
)
from logship.config.rules import (
    DEFAULT_DETAIL_TYPE,
    MATCHER_KEYS,
    AnnotateRule,
    Matcher,
    RouteRule,
    ServiceMapping,
)
from logship.config.templates import TEMPLATE_VARIABLES
from logship.exceptions import ConfigError, LogshipError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "logship.toml"


class TestLoadConfig:
    def test_empty_file_gives_defaults(self) -> None:
        """An empty file is a valid config equal to the defaults, apart from its source."""
        assert parse_config("", source="empty.toml") == dataclasses.replace(
            Config(), source="empty.toml"
        )

    def test_assembly_max_chars_and_its_first_release_name(self) -> None:
        """``max_bytes`` (the first release's name; it always counted characters) still loads."""
        assert parse_config("[assembly]\nmax_chars = 4096\n").assembly.max_chars == 4096
        assert parse_config("[assembly]\nmax_bytes = 4096\n").assembly.max_chars == 4096
        with pytest.raises(ConfigError, match="'max_bytes': is the old name of max_chars"):
            parse_config("[assembly]\nmax_bytes = 1\nmax_chars = 2\n", source="t.toml")

    def test_example_file_loads(self) -> None:
        """The shipped example is valid and every section lands in its field."""
        config = load_config(EXAMPLE)
        assert config.source == str(EXAMPLE)
        assert config.in_app_prefixes == ("com.shop.", "shop/", "app/")
        assert config.services[0] == ServiceMapping(
            "shared/checkout-web/*", "checkout-web", "log_stream"
        )
        assert ServiceMapping("/ecs/payment-*", "payments", "log_group") in config.services
        assert config.environment_for("444455556666") == "staging"
        assert dict(config.tags) == {"team": "commerce", "source": "cloudwatch"}
        assert config.assembly == AssemblyLimits(max_lines=2000, max_age_ms=10000)
        assert config.regex_timeout == pytest.approx(0.05)
        names = [rule.name for rule in config.ignore_rules]
        assert names[0] == "client-disconnects"
        assert config.ignore_rules[2].until == date(2027, 3, 31)
        assert config.ignore_rules[3].sample == 20
        assert config.fingerprint_rules[1].template == ("{{ default }}", "{{ function }}")

    def test_config_is_immutable(self) -> None:
        """A loaded config and its rules refuse assignment; collections are tuples."""
        config = load_config(EXAMPLE)
        with pytest.raises(dataclasses.FrozenInstanceError):
            config.min_level = "warning"  # type: ignore[misc]
        with pytest.raises(dataclasses.FrozenInstanceError):
            config.ignore_rules[0].reason = "x"  # type: ignore[misc]
        assert isinstance(config.ignore_rules[0].match.exception, tuple)

    def test_default_rule_names(self) -> None:
        """Unnamed rules are called ``ignore[N]`` / ``fingerprint[N]``, counted from 1."""
        config = parse_config(
            "[[ignore]]\nreason = 'a'\nservice = 'x'\n[[ignore]]\nreason = 'b'\nservice = 'y'\n"
            "[[fingerprint]]\nservice = 'x'\nfingerprint = ['x']\n"
        )
        assert [r.name for r in config.ignore_rules] == ["ignore[1]", "ignore[2]"]
        assert config.fingerprint_rules[0].name == "fingerprint[1]"

    def test_until_as_string_or_toml_date(self) -> None:
        """``until`` accepts a TOML date or an ISO date string."""
        config = parse_config(
            "[[ignore]]\nreason = 'a'\nservice = 'x'\nuntil = 2024-06-30\n"
            "[[ignore]]\nreason = 'b'\nservice = 'y'\nuntil = '2024-07-01'\n"
        )
        assert [r.until for r in config.ignore_rules] == [date(2024, 6, 30), date(2024, 7, 1)]

    def test_single_string_or_list(self) -> None:
        """A matcher key takes one string or a list of them."""
        config = parse_config("[[ignore]]\nreason = 'a'\nservice = 'x'\nexception = ['A', 'B']\n")
        assert config.ignore_rules[0].match.service == ("x",)
        assert config.ignore_rules[0].match.exception == ("A", "B")

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file is a ConfigError naming the file."""
        missing = tmp_path / "nope.toml"
        with pytest.raises(ConfigError, match=r"nope\.toml: cannot read the config file"):
            load_config(missing)

    def test_config_error_is_a_value_error(self) -> None:
        """ConfigError subclasses the project root and ValueError."""
        with pytest.raises(ConfigError) as caught:
            parse_config("nope = 1", source="x.toml")
        assert isinstance(caught.value, LogshipError)
        assert isinstance(caught.value, ValueError)


RULE = "[[ignore]]\nname = 'noise'\nreason = 'r'\nservice = 'x'\n"

INVALID: list[tuple[str, str, str]] = [
    # (id, TOML, the exact message after "t.toml: ")
    (
        "toml-syntax",
        "[[ignore]]\nreason = noise\n",
        "not valid TOML: Invalid value (at line 2, column 10)",
    ),
    (
        "unknown-top-key",
        "min_levle = 'error'",
        "top level: key 'min_levle': unknown key (did you mean 'min_level'?); known keys: "
        "min_level, in_app, max_events_per_fingerprint, regex_timeout_ms, services, "
        "stream_services, environments, tags, assembly, ignore, fingerprint, annotate, route, "
        "scrub",
    ),
    (
        "unknown-rule-key",
        "[[ignore]]\nname = 'noise'\nreason = 'r'\nservices = 'x'\n",
        "ignore[1] 'noise': key 'services': unknown key (did you mean 'service'?); known keys: "
        "name, reason, until, sample, service, log_group, log_stream, account, environment, "
        "level, logger, exception, exception_top, root_cause, message_glob, message",
    ),
    (
        "missing-reason",
        RULE + "[[ignore]]\nservice = 'y'\n",
        "ignore[2]: key 'reason': is required: say why these errors are safe to drop",
    ),
    (
        "blank-reason",
        "[[ignore]]\nreason = '  '\nservice = 'y'\n",
        "ignore[1]: key 'reason': is required: say why these errors are safe to drop",
    ),
    (
        "reason-wrong-type",
        "[[ignore]]\nreason = 3\nservice = 'y'\n",
        "ignore[1]: key 'reason': expected a string, got an integer",
    ),
    (
        "bad-regex",
        "[[ignore]]\nname = 'r1'\nreason = 'r'\nmessage = 'timeout (after'\n",
        "ignore[1] 'r1': key 'message': bad regex 'timeout (after': missing ) at position 14",
    ),
    (
        "nested-quantifier",
        "[[ignore]]\nreason = 'r'\nmessage = '(a+)+$'\n",
        "ignore[1]: key 'message': regex '(a+)+$' nests unbounded quantifiers (at offset 3), "
        "which can backtrack for minutes on a near-miss; make the outer one possessive "
        "(++, *+) or the group atomic ((?>...))",
    ),
    (
        "bad-date",
        "[[ignore]]\nreason = 'r'\nservice = 'x'\nuntil = '2024-13-01'\n",
        "ignore[1]: key 'until': bad date '2024-13-01': month must be in 1..12; "
        "write it as 2024-06-30",
    ),
    (
        "datetime-not-date",
        "[[ignore]]\nreason = 'r'\nservice = 'x'\nuntil = 2024-06-01T10:00:00\n",
        "ignore[1]: key 'until': expected a date such as 2024-06-30, "
        "got a date-time 2024-06-01T10:00:00",
    ),
    (
        "until-wrong-type",
        "[[ignore]]\nreason = 'r'\nservice = 'x'\nuntil = 20240601\n",
        "ignore[1]: key 'until': expected a date such as 2024-06-30, got an integer",
    ),
    (
        "sample-bool",
        "[[ignore]]\nreason = 'r'\nservice = 'x'\nsample = true\n",
        "ignore[1]: key 'sample': expected an integer, got a boolean",
    ),
    (
        "sample-too-small",
        "[[ignore]]\nreason = 'r'\nservice = 'x'\nsample = 1\n",
        "ignore[1]: key 'sample': must be at least 2, got 1",
    ),
    (
        "matcher-wrong-type",
        "[[ignore]]\nreason = 'r'\nservice = 5\n",
        "ignore[1]: key 'service': expected a string or an array of strings, got an integer",
    ),
    (
        "matcher-list-item-wrong-type",
        "[[ignore]]\nreason = 'r'\nexception = ['A', 2]\n",
        "ignore[1]: key 'exception': expected strings, got an integer 2",
    ),
    (
        "matcher-empty-string",
        "[[ignore]]\nreason = 'r'\nlogger = ''\n",
        "ignore[1]: key 'logger': must not hold an empty string",
    ),
    (
        "account-unquoted",
        "[[ignore]]\nreason = 'r'\naccount = 111122223333\n",
        "ignore[1]: key 'account': expected a string or an array of strings, "
        "got an integer (quote account ids)",
    ),
    (
        "account-not-an-id",
        "[[ignore]]\nreason = 'r'\naccount = '1234'\n",
        "ignore[1]: key 'account': '1234' is not a 12-digit AWS account id or a glob",
    ),
    (
        "unknown-level",
        "[[ignore]]\nreason = 'r'\nlevel = 'warn'\n",
        "ignore[1]: key 'level': unknown level 'warn'; use one of "
        "trace, debug, info, warning, error, fatal",
    ),
    (
        "no-matcher",
        "[[ignore]]\nname = 'all'\nreason = 'everything'\n",
        "ignore[1] 'all': has no matcher: give at least one of service, log_group, "
        "log_stream, account, environment, level, logger, exception, exception_top, "
        "root_cause, message_glob, message",
    ),
    (
        "ignore-not-array",
        "[ignore]\nreason = 'r'\n",
        "top level: key 'ignore': expected an array of tables, written [[ignore]], "
        "got a single [ignore]",
    ),
    (
        "ignore-wrong-type",
        "ignore = 3\n",
        "top level: key 'ignore': expected an array of tables ([[ignore]]), got an integer",
    ),
    (
        "ignore-item-not-table",
        "ignore = ['x']\n",
        "ignore[1]: expected a table ([[ignore]]), got a string",
    ),
    (
        "duplicate-name",
        RULE + RULE,
        "ignore[2] 'noise': key 'name': is already used by ignore[1]; rule names must be unique",
    ),
    (
        "empty-name",
        "[[ignore]]\nname = ''\nreason = 'r'\nservice = 'x'\n",
        "ignore[1]: key 'name': must not be empty",
    ),
    (
        "fingerprint-missing-template",
        "[[fingerprint]]\nname = 'fp'\nservice = 'x'\n",
        "fingerprint[1] 'fp': key 'fingerprint': is required: a list such as "
        '["{{ service }}", "{{ type }}"]',
    ),
    (
        "fingerprint-empty-template",
        "[[fingerprint]]\nservice = 'x'\nfingerprint = []\n",
        "fingerprint[1]: key 'fingerprint': must hold at least one element",
    ),
    (
        "fingerprint-unknown-variable",
        "[[fingerprint]]\nservice = 'x'\nfingerprint = ['{{ servce }}']\n",
        "fingerprint[1]: key 'fingerprint': unknown variable {{ servce }} in '{{ servce }}'; "
        "known: default, service, type, root_cause, message_template, function, logger, "
        "log_group, level",
    ),
    (
        "fingerprint-default-inside-element",
        "[[fingerprint]]\nservice = 'x'\nfingerprint = ['a-{{ default }}']\n",
        "fingerprint[1]: key 'fingerprint': {{ default }} must be a whole element, "
        "not part of 'a-{{ default }}'",
    ),
    (
        "fingerprint-unbalanced",
        "[[fingerprint]]\nservice = 'x'\nfingerprint = ['{{ type']\n",
        "fingerprint[1]: key 'fingerprint': unbalanced '{{' or '}}' in '{{ type'",
    ),
    (
        "title-default",
        "[[fingerprint]]\nservice = 'x'\nfingerprint = ['a']\ntitle = '{{ default }}'\n",
        "fingerprint[1]: key 'title': {{ default }} can only be a fingerprint element",
    ),
    (
        "fingerprint-until",
        "[[fingerprint]]\nservice = 'x'\nfingerprint = ['a']\nuntil = 2024-01-01\n",
        "fingerprint[1]: key 'until': only [[ignore]] rules take this key",
    ),
    (
        "min-level",
        "min_level = 'verbose'\n",
        "top level: key 'min_level': unknown level 'verbose'; use one of "
        "trace, debug, info, warning, error, fatal",
    ),
    (
        "in-app-wrong-type",
        "in_app = 3\n",
        "top level: key 'in_app': expected a string or an array of strings, got an integer",
    ),
    (
        "max-events-zero",
        "max_events_per_fingerprint = 0\n",
        "top level: key 'max_events_per_fingerprint': must be at least 1, got 0",
    ),
    (
        "regex-timeout-too-long",
        "regex_timeout_ms = 5000\n",
        "top level: key 'regex_timeout_ms': must be at most 1000, got 5000",
    ),
    (
        "services-not-table",
        "services = 'orders'\n",
        "top level: key 'services': expected a table ([services]), got a string",
    ),
    (
        "services-value-wrong-type",
        "[services]\n'/ecs/orders' = 1\n",
        "services: key '/ecs/orders': expected a string, got an integer",
    ),
    (
        "environment-bad-account",
        "[environments]\n'prod' = 'production'\n",
        "environments: key 'prod': is not a 12-digit AWS account id (quote it as a string key)",
    ),
    (
        "tags-value-wrong-type",
        "[tags]\nteam = ['a']\n",
        "tags: key 'team': expected a string, got an array",
    ),
    (
        "assembly-unknown-key",
        "[assembly]\nmax_line = 10\n",
        "assembly: key 'max_line': unknown key (did you mean 'max_lines'?); known keys: "
        "max_lines, max_chars, max_age_ms",
    ),
    (
        "assembly-wrong-type",
        "[assembly]\nmax_chars = '1MB'\n",
        "assembly: key 'max_chars': expected an integer, got a string",
    ),
    (
        "scrub-not-table",
        "scrub = 'all'\n",
        "top level: key 'scrub': expected a table ([scrub]), got a string",
    ),
    (
        "scrub-unknown-key",
        "[scrub]\nkeeps = ['tags']\n",
        "scrub: key 'keeps': unknown key (did you mean 'keep'?); known keys: "
        "patterns, disable, keep",
    ),
    (
        "scrub-disable-unknown",
        "[scrub]\ndisable = ['emails']\n",
        "scrub: key 'disable': unknown pattern 'emails' (did you mean 'email'?); default "
        "patterns: pemkey, urlauth, jwt, bearer, authorization, aws_access_key, credential, "
        "aws_secret_key, email, creditcard, and 'denylist' for the key-based scrubbing",
    ),
    (
        "scrub-keep-unknown-root",
        "[scrub]\nkeep = ['tag.aws_account']\n",
        "scrub: key 'keep': 'tag.aws_account' does not start with an event field (did you "
        "mean 'tags'?); known: exception, logentry, tags, contexts, request, extra, user, "
        "breadcrumbs, fingerprint, logger, environment, release",
    ),
    (
        "scrub-keep-empty-part",
        "[scrub]\nkeep = ['tags..x']\n",
        "scrub: key 'keep': 'tags..x' is not a dotted field path such as 'tags.aws_account'",
    ),
    (
        "scrub-patterns-not-table",
        "[scrub]\npatterns = ['x']\n",
        "scrub: key 'patterns': expected a table of name = regex ([scrub.patterns]), got an array",
    ),
    (
        "scrub-pattern-bad-regex",
        "[scrub.patterns]\nticket = 'TCK-(x'\n",
        "scrub.patterns: key 'ticket': bad regex 'TCK-(x': missing ) at position 6",
    ),
    (
        "scrub-pattern-redos",
        "[scrub.patterns]\nslow = '(a+)+b'\n",
        "scrub.patterns: key 'slow': regex '(a+)+b' nests unbounded quantifiers (at offset 3), "
        "which can backtrack for minutes; make the outer one possessive (++, *+) or the "
        "group atomic ((?>...))",
    ),
    (
        "scrub-pattern-empty-match",
        "[scrub.patterns]\nanything = 'x*'\n",
        "scrub.patterns: key 'anything': regex 'x*' matches the empty string",
    ),
    (
        "scrub-pattern-default-name",
        "[scrub.patterns]\nemail = 'x@y'\n",
        "scrub.patterns: key 'email': is the name of a default pattern; give yours another "
        "name (and add the default's name to scrub.disable to replace it)",
    ),
    (
        "scrub-pattern-bad-name",
        "[scrub.patterns]\n'my pattern' = 'x'\n",
        "scrub.patterns: key 'my pattern': a pattern name is 1 to 40 letters, digits, '_' or '-'",
    ),
    (
        "scrub-pattern-not-string",
        "[scrub.patterns]\nticket = 3\n",
        "scrub.patterns: key 'ticket': expected a regex string, got an integer",
    ),
    # --- [[annotate]] ---
    (
        "annotate-unknown-key",
        "[[annotate]]\nname = 'pay'\nservice = 'x'\nteam = 'p'\nrunbok = 'https://w/x'\n",
        "annotate[1] 'pay': key 'runbok': unknown key (did you mean 'runbook'?); known keys: "
        "name, team, severity, runbook, tags, service, log_group, log_stream, account, "
        "environment, level, logger, exception, exception_top, root_cause, message_glob, message",
    ),
    (
        "annotate-ignore-key",
        "[[annotate]]\nservice = 'x'\nteam = 'p'\nreason = 'r'\n",
        "annotate[1]: key 'reason': only [[ignore]] rules take this key",
    ),
    (
        "annotate-route-key",
        "[[annotate]]\nservice = 'x'\nteam = 'p'\neventbridge_bus = 'default'\n",
        "annotate[1]: key 'eventbridge_bus': only [[route]] rules take this key",
    ),
    (
        "annotate-no-matcher",
        "[[annotate]]\nteam = 'p'\n",
        "annotate[1]: has no matcher: give at least one of " + ", ".join(MATCHER_KEYS),
    ),
    (
        "annotate-sets-nothing",
        "[[annotate]]\nservice = 'x'\n",
        "annotate[1]: sets nothing: give at least one of team, severity, runbook, tags",
    ),
    (
        "annotate-bad-severity",
        "[[annotate]]\nservice = 'x'\nseverity = 'hihg'\n",
        "annotate[1]: key 'severity': unknown severity 'hihg' (did you mean 'high'?); "
        "use one of low, medium, high, critical",
    ),
    (
        "annotate-severity-not-string",
        "[[annotate]]\nservice = 'x'\nseverity = 3\n",
        "annotate[1]: key 'severity': expected a string, got an integer",
    ),
    (
        "annotate-blank-team",
        "[[annotate]]\nservice = 'x'\nteam = ' '\n",
        "annotate[1]: key 'team': must not be empty",
    ),
    (
        "annotate-long-team",
        "[[annotate]]\nservice = 'x'\nteam = '" + "t" * 201 + "'\n",
        "annotate[1]: key 'team': is 201 characters; Sentry keeps at most 200",
    ),
    (
        "annotate-runbook-not-url",
        "[[annotate]]\nname = 'r'\nservice = 'x'\nrunbook = 'wiki/{{ service }}'\n",
        "annotate[1] 'r': key 'runbook': 'wiki/{{ service }}' does not make an http(s) URL "
        "(for a sample error it gives 'wiki/orders'); write it as "
        "https://host/path/{{ service }}",
    ),
    (
        "annotate-runbook-scheme-from-variable",
        "[[annotate]]\nservice = 'x'\nrunbook = '{{ service }}://wiki/x'\n",
        "annotate[1]: key 'runbook': '{{ service }}://wiki/x' does not make an http(s) URL "
        "(for a sample error it gives 'orders://wiki/x'); write it as "
        "https://host/path/{{ service }}",
    ),
    (
        "annotate-runbook-ftp",
        "[[annotate]]\nservice = 'x'\nrunbook = 'ftp://wiki/x'\n",
        "annotate[1]: key 'runbook': 'ftp://wiki/x' does not make an http(s) URL "
        "(for a sample error it gives 'ftp://wiki/x'); write it as "
        "https://host/path/{{ service }}",
    ),
    (
        "annotate-runbook-unknown-variable",
        "[[annotate]]\nservice = 'x'\nrunbook = 'https://w/{{ servce }}'\n",
        "annotate[1]: key 'runbook': unknown variable {{ servce }} in 'https://w/{{ servce }}'; "
        "known: " + ", ".join(TEMPLATE_VARIABLES),
    ),
    (
        "annotate-runbook-default",
        "[[annotate]]\nservice = 'x'\nrunbook = 'https://w/{{ default }}'\n",
        "annotate[1]: key 'runbook': {{ default }} can only be a fingerprint element",
    ),
    (
        "annotate-tags-not-table",
        "[[annotate]]\nservice = 'x'\ntags = 'tier=1'\n",
        "annotate[1]: key 'tags': expected a table such as { tier = \"1\" }, got a string",
    ),
    (
        "annotate-tag-team",
        "[[annotate]]\nservice = 'x'\ntags = { team = 'p' }\n",
        "annotate[1]: key 'tags.team': set the rule's own 'team' key instead of a tag of that name",
    ),
    (
        "annotate-tag-bad-key",
        "[[annotate]]\nservice = 'x'\ntags = { 'on call' = 'p' }\n",
        "annotate[1]: key 'tags.on call': a Sentry tag key is 1 to 32 letters, digits or "
        "'_', '.', ':', '-'",
    ),
    (
        "annotate-tag-long-key",
        "[[annotate]]\nservice = 'x'\ntags = { " + "k" * 33 + " = 'p' }\n",
        "annotate[1]: key 'tags." + "k" * 33 + "': a Sentry tag key is 1 to 32 letters, "
        "digits or '_', '.', ':', '-'",
    ),
    (
        "annotate-tag-not-string",
        "[[annotate]]\nservice = 'x'\ntags = { tier = 1 }\n",
        "annotate[1]: key 'tags.tier': expected a string, got an integer",
    ),
    (
        "annotate-tag-long-value",
        "[[annotate]]\nservice = 'x'\ntags = { tier = '" + "v" * 201 + "' }\n",
        "annotate[1]: key 'tags.tier': is 201 characters; Sentry keeps at most 200",
    ),
    (
        "annotate-tag-newline",
        "[[annotate]]\nservice = 'x'\ntags = { tier = \"1\\n2\" }\n",
        "annotate[1]: key 'tags.tier': '1\\n2' has leading or trailing spaces or control "
        "characters",
    ),
    (
        "annotate-single-table",
        "[annotate]\nservice = 'x'\n",
        "top level: key 'annotate': expected an array of tables, written [[annotate]], "
        "got a single [annotate]",
    ),
    (
        "annotate-duplicate-name",
        RULE + "[[annotate]]\nname = 'noise'\nservice = 'x'\nteam = 'p'\n",
        "annotate[1] 'noise': key 'name': is already used by ignore[1]; rule names must be unique",
    ),
    # --- [[route]] ---
    (
        "route-missing-bus",
        "[[route]]\nname = 'ops'\nservice = 'x'\n",
        "route[1] 'ops': key 'eventbridge_bus': is required: \"default\" or an event bus ARN "
        "(arn:aws:events:REGION:ACCOUNT:event-bus/NAME)",
    ),
    (
        "route-bus-name",
        "[[route]]\nservice = 'x'\neventbridge_bus = 'ops'\n",
        "route[1]: key 'eventbridge_bus': 'ops' is neither \"default\" nor an event bus ARN "
        "(arn:aws:events:REGION:ACCOUNT:event-bus/NAME); the function's role is granted "
        "events:PutEvents per ARN",
    ),
    (
        "route-bus-other-service",
        "[[route]]\nservice = 'x'\neventbridge_bus = 'arn:aws:sns:eu-west-1:111122223333:ops'\n",
        "route[1]: key 'eventbridge_bus': 'arn:aws:sns:eu-west-1:111122223333:ops' is neither "
        '"default" nor an event bus ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME); the '
        "function's role is granted events:PutEvents per ARN",
    ),
    (
        "route-unknown-key",
        "[[route]]\nservice = 'x'\neventbridge_bus = 'default'\ndetail_typ = 'x'\n",
        "route[1]: key 'detail_typ': unknown key (did you mean 'detail_type'?); known keys: "
        "name, eventbridge_bus, detail_type, service, log_group, log_stream, account, "
        "environment, level, logger, exception, exception_top, root_cause, message_glob, message",
    ),
    (
        "route-annotate-key",
        "[[route]]\nservice = 'x'\neventbridge_bus = 'default'\nteam = 'p'\n",
        "route[1]: key 'team': only [[annotate]] rules take this key",
    ),
    (
        "route-long-detail-type",
        "[[route]]\nservice = 'x'\neventbridge_bus = 'default'\ndetail_type = '"
        + "d" * 129
        + "'\n",
        "route[1]: key 'detail_type': is longer than EventBridge's 128 characters",
    ),
    (
        "route-no-matcher",
        "[[route]]\neventbridge_bus = 'default'\n",
        "route[1]: has no matcher: give at least one of " + ", ".join(MATCHER_KEYS),
    ),
]


class TestScrubSection:
    def test_defaults_when_absent(self) -> None:
        """Without [scrub] the config holds the empty ScrubConfig."""
        assert parse_config("").scrub == ScrubConfig()

    def test_full_section(self) -> None:
        """patterns, disable and keep land in ScrubConfig; the pattern is compiled."""
        config = parse_config(
            "[scrub]\n"
            "disable = ['email']\n"
            "keep = ['tags.aws_account', 'contexts.cloudwatch']\n"
            "[scrub.patterns]\n"
            "ticket = '(ticket=)TCK-\\d+'\n"
        )
        assert config.scrub.disable == ("email",)
        assert config.scrub.keep == ("tags.aws_account", "contexts.cloudwatch")
        (rule,) = config.scrub.patterns
        assert (rule.name, rule.source) == ("ticket", r"(ticket=)TCK-\d+")
        assert rule.compiled.sub(lambda m: m.group(1) + "X", "ticket=TCK-9") == "ticket=X"

    def test_loaded_section_drives_the_scrubber(self) -> None:
        """The scrubber built from the loaded file masks the user's pattern, not emails."""
        from logship.scrub import scrubber_for

        config = parse_config(
            "regex_timeout_ms = 20\n[scrub]\ndisable = ['email']\n"
            "[scrub.patterns]\nticket = 'TCK-\\d+'\n"
        )
        scrubber = scrubber_for(config)
        assert scrubber.scrub_text("bob@example.com TCK-1") == "bob@example.com [Filtered:ticket]"


class TestAnnotateAndRouteRules:
    """``[[annotate]]`` and ``[[route]]`` tables load into records, in file order."""

    TEXT = (
        "[[annotate]]\nname = 'payments'\nservice = 'payments'\nteam = 'payments'\n"
        "severity = 'high'\nrunbook = 'https://wiki.example.com/runbooks/{{ service }}/"
        "{{ root_cause }}'\ntags = { tier = '1', 'pager.policy' = 'payments-24x7' }\n"
        "[[annotate]]\nroot_cause = 'SocketTimeoutException'\nseverity = 'low'\n"
        "[[route]]\nname = 'recoveries'\nservice = 'payments'\neventbridge_bus = 'default'\n"
        "[[route]]\nname = 'ops'\nlevel = 'fatal'\ndetail_type = 'logship.fatal'\n"
        "eventbridge_bus = 'arn:aws:events:eu-west-1:111122223333:event-bus/ops'\n"
    )

    def test_rules_land_in_their_fields(self) -> None:
        """Each key lands in its field; unnamed rules are numbered; tags keep file order."""
        config = parse_config(self.TEXT, source="t.toml")
        assert config.annotate_rules == (
            AnnotateRule(
                name="payments",
                match=Matcher(service=("payments",)),
                team="payments",
                severity="high",
                runbook="https://wiki.example.com/runbooks/{{ service }}/{{ root_cause }}",
                tags=(("tier", "1"), ("pager.policy", "payments-24x7")),
            ),
            AnnotateRule(
                name="annotate[2]",
                match=Matcher(root_cause=("SocketTimeoutException",)),
                severity="low",
            ),
        )
        assert config.route_rules == (
            RouteRule("recoveries", Matcher(service=("payments",)), "default"),
            RouteRule(
                "ops",
                Matcher(level=("fatal",)),
                "arn:aws:events:eu-west-1:111122223333:event-bus/ops",
                detail_type="logship.fatal",
            ),
        )
        assert config.route_rules[0].detail_type == DEFAULT_DETAIL_TYPE == "logship.error"
        assert config.route_rule("ops") is config.route_rules[1]
        assert config.route_rule("nope") is None

    def test_records_pickle(self) -> None:
        """Annotate and route rules round-trip through pickle, like the other rules."""
        config = parse_config(self.TEXT)
        for rule in (*config.annotate_rules, *config.route_rules):
            assert pickle.loads(pickle.dumps(rule)) == rule

    @pytest.mark.parametrize(
        "bus",
        [
            "arn:aws-cn:events:cn-north-1:111122223333:event-bus/ops",
            "arn:aws-us-gov:events:us-gov-west-1:111122223333:event-bus/default",
            "arn:aws:events:eu-west-1:111122223333:event-bus/a.b_c-d/e",
        ],
    )
    def test_bus_arns_of_every_partition(self, bus: str) -> None:
        """Bus ARNs of the aws, aws-cn and aws-us-gov partitions are accepted."""
        config = parse_config(f"[[route]]\nservice = 'x'\neventbridge_bus = '{bus}'\n")
        assert config.route_rules[0].eventbridge_bus == bus

    def test_runbook_with_any_variable(self) -> None:
        """Every template variable but ``default`` may appear in a runbook URL."""
        variables = [v for v in TEMPLATE_VARIABLES if v != "default"]
        path = "/".join(f"{{{{ {v} }}}}" for v in variables)
        config = parse_config(f"[[annotate]]\nservice = 'x'\nrunbook = 'https://w/{path}'\n")
        assert config.annotate_rules[0].runbook == f"https://w/{path}"


class TestValidation:
    @pytest.mark.parametrize(
        ("text", "message"),
        [pytest.param(text, message, id=case) for case, text, message in INVALID],
    )
    def test_one_message_naming_file_rule_and_key(self, text: str, message: str) -> None:
        """Each invalid config fails with exactly this message, prefixed by the file name."""
        with pytest.raises(ConfigError) as caught:
            parse_config(text, source="t.toml")
        assert str(caught.value) == f"t.toml: {message}"

    def test_file_path_is_named(self, tmp_path: Path) -> None:
        """Loading from disk puts the path in the message."""
        path = tmp_path / "logship.toml"
        path.write_text("[[ignore]]\nservice = 'x'\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"^.*logship\.toml: ignore\[1\]: key 'reason'"):
            load_config(path)
