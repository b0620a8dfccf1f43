"""Annotate and route rules: whose an error is, how urgent, what to do, where else it goes.

Loaded by :func:`logship.rules.decide` with the first config that has annotate
or route rules. They are rules like the others: the same matchers on the same
:class:`~logship.rules._match.Subject` (:func:`~logship.rules._match.match`), the same
template variables as fingerprint rules (:func:`~logship.rules._match.template_values`),
and the same :class:`~logship.records.RuleCheck` lines for ``logship explain``.

Unlike fingerprint and ignore rules, every matching rule applies: for an
annotation the first rule to set a key wins (tags key by key); every matching
route rule names a bus the error is published to.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from logship.config.templates import render_runbook
from logship.records import NO_ANNOTATION, Annotation, Decision, RuleCheck, Status

from ._match import (
    MatchResult,
    Subject,
    match,
    rule_check,
    subject_of,
    template_values,
)

if TYPE_CHECKING:
    from logship.config import Config
    from logship.config.rules import AnnotateRule


def annotate_and_route(decision: Decision, config: Config, *, explain: bool = False) -> Decision:
    """``decision`` with the annotation and the routes of ``config``'s rules for its error.

    An error an ignore rule drops is neither annotated nor routed (with
    ``explain``, its annotate and route rules are listed as not tried).
    """
    checks = list(decision.checks)
    if decision.ignored:
        if explain:
            names = [("annotate", rule.name) for rule in config.annotate_rules]
            names += [("route", rule.name) for rule in config.route_rules]
            checks += [
                RuleCheck(kind, name, Status.SKIPPED, "the error is ignored")
                for kind, name in names
            ]
        return replace(decision, checks=tuple(checks))
    subject = subject_of(decision.item, config)
    timeouts = list(decision.regex_timeouts)
    annotation = _annotate(decision, config, subject, timeouts, checks if explain else None)
    routes: list[str] = []
    for rule in config.route_rules:
        result = match(rule.match, subject, config.regex_timeout)
        if result.timed_out:
            timeouts.append(rule.name)
        if result.matched:
            routes.append(rule.name)
        if explain:
            check = rule_check("route", rule.name, rule.match, subject, result)
            if result.matched:
                check = replace(check, detail=f"{check.detail}; to bus {rule.eventbridge_bus}")
            checks.append(check)
    return replace(
        decision,
        annotation=annotation,
        routes=tuple(routes),
        regex_timeouts=tuple(timeouts),
        checks=tuple(checks),
    )


def _annotate(
    decision: Decision,
    config: Config,
    subject: Subject,
    timeouts: list[str],
    checks: list[RuleCheck] | None,
) -> Annotation:
    """Every matching annotate rule applied in file order, the first to set a key winning."""
    keys: dict[str, str] = {}  # team, severity, runbook -> value
    runbook_rule = ""
    tags: dict[str, str] = {}
    matched: list[str] = []
    values: dict[str, str] | None = None
    for rule in config.annotate_rules:
        result = match(rule.match, subject, config.regex_timeout)
        if result.timed_out:
            timeouts.append(rule.name)
        if not result.matched:
            if checks is not None:
                checks.append(rule_check("annotate", rule.name, rule.match, subject, result))
            continue
        matched.append(rule.name)
        given: list[str] = []
        for key, value in (("team", rule.team), ("severity", rule.severity)):
            if value and key not in keys:
                keys[key] = value
                given.append(key)
        if rule.runbook and "runbook" not in keys:
            if values is None:
                values = template_values(decision.item)
            keys["runbook"] = render_runbook(rule.runbook, values)
            runbook_rule = rule.name
            given.append("runbook")
        for key, value in rule.tags:
            if key not in tags:
                tags[key] = value
                given.append(f"tags.{key}")
        if checks is not None:
            checks.append(_annotate_check(rule, subject, result, given))
    if not matched:
        return NO_ANNOTATION
    return Annotation(
        team=keys.get("team", ""),
        severity=keys.get("severity", ""),
        runbook=keys.get("runbook", ""),
        runbook_rule=runbook_rule,
        tags=tuple(tags.items()),
        rules=tuple(matched),
    )


def _annotate_check(
    rule: AnnotateRule, subject: Subject, result: MatchResult, given: list[str]
) -> RuleCheck:
    """A matched annotate rule's line: what it gave, or that earlier rules had set it all."""
    check = rule_check("annotate", rule.name, rule.match, subject, result)
    if given:
        return replace(check, detail=f"{check.detail}; gives {', '.join(given)}")
    return replace(check, detail=f"{check.detail}; gives nothing: earlier rules set its keys")
