"""Tests for logship.config's model: Config and what a default one holds."""

from __future__ import annotations

from fresh_interpreter import loaded_modules

from logship.config import DEFAULT_REGEX_TIMEOUT, LEVELS, Config


class TestDefaults:
    def test_default_config_is_valid_and_empty(self) -> None:
        """``Config()`` has no rules and the documented defaults."""
        config = Config()
        assert config.ignore_rules == ()
        assert config.fingerprint_rules == ()
        assert config.regex_timeout == DEFAULT_REGEX_TIMEOUT


class TestLevels:
    def test_same_names_as_the_parse_stage(self) -> None:
        """``min_level`` and ``level`` accept exactly the parse stage's level names."""
        from logship.parse.line import LEVELS as PARSE_LEVELS

        assert LEVELS == PARSE_LEVELS


# What only a config file needs: the validation, the rule records, TOML and regex.
LOADER = frozenset(
    {
        "logship.config._document",
        "logship.config._rule_tables",
        "logship.config._values",
        "logship.config._regex_safety",
        "logship.config.rules",
        "logship.config.templates",
        "tomllib",
        "regex",
        "difflib",
    }
)


class TestColdStart:
    """The model loads alone; the loader and the rule records with the first file."""

    def test_model_without_the_loader(self) -> None:
        """``import logship.config`` and a default ``Config()`` build no rule record class."""
        loaded = loaded_modules("import logship.config\nlogship.config.Config()")
        assert "logship.config._model" in loaded
        assert not loaded & LOADER

    def test_a_file_brings_the_loader(self) -> None:
        """Parsing a file with a message regex loads the whole loader and the records."""
        loaded = loaded_modules(
            "from logship.config import parse_config\n"
            "parse_config(\"[[ignore]]\\nreason = 'r'\\nmessage = 'x+'\\n\")"
        )
        assert loaded >= LOADER
