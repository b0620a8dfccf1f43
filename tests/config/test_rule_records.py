"""Tests for logship.config.rules: the records a file's rules and pattern tables become."""

from __future__ import annotations

import pickle

import pytest

import logship.config.rules
from logship.config import parse_config

NAMES = (
    "DEFAULT_DETAIL_TYPE",
    "MATCHER_KEYS",
    "SEVERITIES",
    "AnnotateRule",
    "FingerprintRule",
    "IgnoreRule",
    "Matcher",
    "MessagePattern",
    "RouteRule",
    "ScrubRule",
    "Searcher",
    "ServiceMapping",
    "Substituter",
)


class TestRuleRecords:
    @pytest.mark.parametrize("name", NAMES)
    def test_names_are_defined_here(self, name: str) -> None:
        """Each name is defined once, in logship.config.rules."""
        value = getattr(logship.config.rules, name)
        assert getattr(value, "__module__", "logship.config.rules") == "logship.config.rules"

    def test_matcher_keys_are_the_matcher_fields(self) -> None:
        """MATCHER_KEYS names every field of a Matcher, in checking order."""
        fields = logship.config.rules.Matcher.__dataclass_fields__
        assert set(logship.config.rules.MATCHER_KEYS) == set(fields)

    def test_loaded_records_pickle(self) -> None:
        """Loaded rules and mappings round-trip through pickle: their classes are found."""
        config = parse_config(
            "[services]\n'/ecs/a*' = 'a'\n[[ignore]]\nreason = 'r'\nservice = 'a*'\n"
            "until = 2030-01-01\n[[fingerprint]]\nservice = 'a'\nfingerprint = ['x']\n"
        )
        for record in (*config.services, *config.ignore_rules, *config.fingerprint_rules):
            assert pickle.loads(pickle.dumps(record)) == record

    def test_not_served_by_the_package(self) -> None:
        """``logship.config`` holds the model only: a rule record is imported from here."""
        import logship.config

        with pytest.raises(AttributeError, match="IgnoreRule"):
            logship.config.IgnoreRule  # type: ignore[attr-defined]  # noqa: B018
