"""The decision for each error: fingerprint, ignore, annotate and route rules.

Per error: the first fingerprint rule that matches re-fingerprints it, then
the first ignore rule that matches (and has not expired) drops it, or keeps
1 in ``sample`` of them. An error that is not dropped then gets the
:class:`~logship.records.Annotation` of every annotate rule that matches
(first wins per key) and the names of every route rule that matches.
Everything here is pure: the date comes in as an argument, the counting is
the pipeline's job.

This module is what every run imports; the matching itself lives in
:mod:`logship.rules._match` and :mod:`logship.rules._annotate`, loaded with the
first config that has rules, so a Lambda without a rules file does not pay for
it at cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from logship.records import Decision

if TYPE_CHECKING:
    from datetime import date

    from logship.config import Config
    from logship.config.rules import IgnoreRule
    from logship.records import Fingerprinted


def expired_rules(config: Config, today: date) -> tuple[IgnoreRule, ...]:
    """The ignore rules whose ``until`` date is before ``today``."""
    return tuple(rule for rule in config.ignore_rules if rule.expired(today))


def expiry_warnings(config: Config, today: date) -> tuple[str, ...]:
    """One line per expired ignore rule, for the run report and the CLI."""
    return tuple(
        f"{config.source}: ignore rule {rule.name!r} expired on {rule.until} and no longer "
        f"applies; remove it or move its 'until' date (reason: {rule.reason})"
        for rule in expired_rules(config, today)
    )


def decide(item: Fingerprinted, config: Config, *, today: date, explain: bool = False) -> Decision:
    """Apply the fingerprint rules, the ignore rules, then annotate and route rules, to ``item``.

    ``today`` decides which ignore rules have expired. With ``explain``, the
    decision lists every rule tried and why it did or did not match. Annotate
    and route rules are not tried on an error an ignore rule drops.
    """
    outputs = config.annotate_rules or config.route_rules
    if not (config.fingerprint_rules or config.ignore_rules or outputs):
        return Decision(item)
    # After the first call these imports are dictionary lookups in sys.modules.
    from ._match import apply_rules

    decision = apply_rules(item, config, today=today, explain=explain)
    if not outputs:
        return decision
    from ._annotate import annotate_and_route

    return annotate_and_route(decision, config, explain=explain)
