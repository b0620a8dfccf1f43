"""The HTML of ``logship report``: one file, inline CSS and SVG, no script.

Every string that comes from the logs or the config goes through
:func:`_e` (``html.escape`` with quotes), attributes included. The page's
Content-Security-Policy forbids scripts and external loads, so a string that
slipped through escaping still could not run or fetch anything.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from logship.pipeline import RunReport

from ._groups import iso

if TYPE_CHECKING:
    from ._groups import Group, RuleNoise

HISTOGRAM_BARS = 40
_SVG_WIDTH = 160
_SVG_HEIGHT = 28

CSS = """
:root { --fg: #1d232b; --muted: #5f6b7a; --line: #dfe3e8; --bg: #f6f7f9; --card: #fff;
  --accent: #6c5fc7; --warn: #c4382b; --ok: #2f855a; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system,
  "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 32px 0 8px; }
.meta { color: var(--muted); margin: 0 0 16px; }
.meta code { font-size: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  padding: 10px 16px; min-width: 130px; }
.card .n { font-size: 22px; font-weight: 600; }
.card .l { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: .04em; }
.card.warn .n { color: var(--warn); }
.card.ok .n { color: var(--ok); }
table { width: 100%; border-collapse: collapse; background: var(--card);
  border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: #eef0f4; font-size: 12px; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; color: var(--muted);
  font-size: 12px; }
.title { font-weight: 600; overflow-wrap: anywhere; min-width: 260px; }
.fp { font: 11px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; color: var(--muted);
  overflow-wrap: anywhere; }
.type { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; min-width: 150px; }
td.service { min-width: 110px; }
.badge { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 9px;
  background: #fde8e6; color: var(--warn); margin-left: 4px; white-space: nowrap; }
tr.group.ignored td { color: var(--muted); }
tr.group.ignored .title { text-decoration: line-through; }
tr.group td { border-bottom: none; }
tr.sample td { padding-top: 0; }
details summary { cursor: pointer; color: var(--accent); font-size: 12px; }
pre { margin: 6px 0 2px; padding: 10px; background: #1d232b; color: #e6e9ee;
  border-radius: 6px; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace;
  white-space: pre-wrap; overflow-wrap: anywhere; max-height: 420px; overflow: auto; }
svg.hist rect { fill: var(--accent); }
svg.hist rect.base { fill: var(--line); }
.bar { display: inline-block; height: 8px; background: var(--accent); border-radius: 4px;
  vertical-align: middle; margin-right: 6px; }
.none { color: var(--muted); font-style: italic; }
.sev { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 9px;
  background: #eef0f4; white-space: nowrap; }
.sev.high, .sev.critical { background: #fde8e6; color: var(--warn); }
td.owner { min-width: 120px; font-size: 12px; overflow-wrap: anywhere; }
a { color: var(--accent); }
.note { color: var(--muted); font-size: 12px; margin-top: 6px; }
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _e(value: object) -> str:
    """Escape anything for HTML text and attribute values."""
    return html.escape(str(value), quote=True)


def _time(timestamp_ms: int) -> str:
    return iso(timestamp_ms, timespec="seconds", zulu=False)[:19].replace("T", " ")


def _breakable(name: str) -> str:
    """An escaped dotted name that may wrap after its dots (``java.net.<wbr>Socket...``)."""
    return "<wbr>".join(_e(part) for part in re.split(r"(?<=[./\\])", name))


def _names(counter: Counter[str], limit: int = 3) -> str:
    """The most common names of a counter, escaped, with how many more there are."""
    common = counter.most_common()
    shown = "<br>".join(_breakable(name) for name, _ in common[:limit])
    more = len(common) - limit
    return shown + (f' <span class="note">+{more} more</span>' if more > 0 else "")


def histogram_svg(heights: Sequence[int], label: str) -> str:
    """Bars scaled to the largest one, as inline SVG; ``label`` is for screen readers."""
    peak = max(heights, default=0) or 1
    width = _SVG_WIDTH / max(len(heights), 1)
    rects = [f'<rect class="base" x="0" y="{_SVG_HEIGHT - 1}" width="{_SVG_WIDTH}" height="1"/>']
    for index, height in enumerate(heights):
        if not height:
            continue
        bar = max(round(height / peak * (_SVG_HEIGHT - 2)), 2)
        rects.append(
            f'<rect x="{index * width:.2f}" y="{_SVG_HEIGHT - 1 - bar}" '
            f'width="{max(width - 1, 1):.2f}" height="{bar}"/>'
        )
    return (
        f'<svg class="hist" xmlns="http://www.w3.org/2000/svg" width="{_SVG_WIDTH}" '
        f'height="{_SVG_HEIGHT}" viewBox="0 0 {_SVG_WIDTH} {_SVG_HEIGHT}" role="img" '
        f'aria-label="{_e(label)}">{"".join(rects)}</svg>'
    )


def _cards(report: RunReport, total_groups: int) -> str:
    shipped = report.errors - report.ignored
    noise = f"{report.ignored / report.errors:.0%}" if report.errors else "0%"
    cards = [
        ("", f"{report.events_received:,}", "events read"),
        ("", f"{report.errors:,}", "errors found"),
        ("", f"{total_groups:,}", "groups"),
        ("ok", f"{shipped:,}", "errors to send"),
        ("", f"{report.ignored:,} ({noise})", "ignored by rules"),
        ("warn" if report.events_invalid else "", f"{report.events_invalid:,}", "unreadable"),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card {kind}"><div class="n">{_e(number)}</div>'
            f'<div class="l">{_e(label)}</div></div>'
            for kind, number, label in cards
        )
        + "</div>"
    )


def _noise_section(noise: Sequence[RuleNoise], report: RunReport) -> str:
    parts = ['<h2 id="noise">Noise removed by ignore rules</h2>']
    if not noise:
        parts.append('<p class="none">No ignore rules (pass --config logship.toml).</p>')
        return "".join(parts)
    peak = max((rule.hits for rule in noise), default=0) or 1
    rows = []
    for rule in noise:
        share = f"{rule.hits / report.errors:.1%}" if report.errors and rule.hits else ""
        bar = f'<span class="bar" style="width:{round(rule.hits / peak * 80)}px"></span>'
        hits = f"{bar}{rule.hits:,}" if rule.hits else '<span class="none">no hits</span>'
        sampled = f"{rule.sampled:,} kept as samples" if rule.sampled else ""
        rows.append(
            f'<tr class="rule"><td class="type">{_e(rule.name)}</td><td>{_e(rule.reason)}</td>'
            f'<td class="num">{hits}</td><td class="num">{_e(share)}</td>'
            f'<td class="num">{_e(sampled)}</td></tr>'
        )
    parts.append(
        '<table class="rules"><thead><tr><th>Rule</th><th>Reason</th><th class="num">Hits</th>'
        '<th class="num">Of all errors</th><th class="num">Sampled</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )
    parts.extend(f'<p class="note">{_e(warning)}</p>' for warning in report.rule_warnings)
    return "".join(parts)


def _link(url: str, text: str) -> str:
    """A link to an http(s) URL (a runbook), or the URL as plain text."""
    if not url.startswith(("https://", "http://")):
        return _e(url)
    return f'<a href="{_e(url)}" rel="noopener noreferrer">{_e(text)}</a>'


def _owner(group: Group) -> str:
    """The owner cell: team, severity and a link to the runbook, as annotate rules gave them."""
    parts = []
    if group.team:
        parts.append(f"<div>{_e(group.team)}</div>")
    if group.severity:
        parts.append(f'<span class="sev {_e(group.severity)}">{_e(group.severity)}</span>')
    if group.runbook:
        parts.append(f"<div>{_link(group.runbook, 'runbook')}</div>")
    return " ".join(parts)


def _group_rows(groups: Sequence[Group], start: int, end: int) -> str:
    rows = []
    for rank, group in enumerate(groups, 1):
        ignored = group.ignored == group.count
        badge = ""
        if group.ignored:
            rules = ", ".join(group.ignored_by)
            badge = f'<span class="badge">{group.ignored:,} ignored: {_e(rules)}</span>'
        heights = group.times.bars(start, end, HISTOGRAM_BARS)
        label = (
            f"{group.count} errors between {_time(group.first_seen)} and {_time(group.last_seen)}"
        )
        rows.append(
            f'<tr class="group{" ignored" if ignored else ""}" id="g{rank}">'
            f'<td class="num">{rank}</td>'
            f'<td class="num">{group.count:,}</td>'
            f'<td class="service">{_names(group.services)}</td>'
            f'<td class="type">{_names(group.exception_types)}</td>'
            f'<td class="type">{_names(group.root_causes)}</td>'
            f'<td class="owner">{_owner(group)}</td>'
            f'<td><div class="title">{_e(group.title)}{badge}</div>'
            f'<div class="fp">{_e(" | ".join(group.fingerprint))}</div></td>'
            f'<td class="time">{_e(_time(group.first_seen))}</td>'
            f'<td class="time">{_e(_time(group.last_seen))}</td>'
            f"<td>{histogram_svg(heights, label)}</td></tr>"
            f'<tr class="sample"><td></td><td colspan="9"><details{" open" if rank == 1 else ""}>'
            "<summary>sample trace "
            f"({_e(group.sample_source)})</summary><pre>{_e(group.sample)}</pre></details>"
            f"</td></tr>"
        )
    return "".join(rows)


def _groups_section(groups: Sequence[Group], total_groups: int) -> str:
    parts = ['<h2 id="groups">Groups, ranked by errors to send</h2>']
    if not groups:
        parts.append('<p class="none">No errors found in the input.</p>')
        return "".join(parts)
    start = min(group.first_seen for group in groups)
    end = max(group.last_seen for group in groups)
    parts.append(
        f'<p class="note">Histograms share one time axis: {_e(_time(start))} to '
        f"{_e(_time(end))} UTC, {HISTOGRAM_BARS} bars.</p>"
        '<table class="groups"><thead><tr><th class="num">#</th><th class="num">Errors</th>'
        "<th>Service</th><th>Exception</th><th>Root cause</th><th>Owner</th>"
        "<th>Title / fingerprint</th>"
        "<th>First seen</th><th>Last seen</th><th>Over time</th></tr></thead><tbody>"
        + _group_rows(groups, start, end)
        + "</tbody></table>"
    )
    if total_groups > len(groups):
        hidden = total_groups - len(groups)
        parts.append(
            f'<p class="note">{hidden:,} smaller groups not shown (raise --top, '
            "or use --json for all).</p>"
        )
    return "".join(parts)


def _runbooks_section(missing: Sequence[Group] | None) -> str:
    """The groups no annotate rule gives a runbook: the procedures still to write."""
    parts = ['<h2 id="no-runbook">Procedures still to write: groups without a runbook</h2>']
    if missing is None:
        parts.append(
            '<p class="none">No annotate rules give runbooks (pass --config logship.toml '
            "with <code>[[annotate]]</code> rules).</p>"
        )
        return "".join(parts)
    if not missing:
        parts.append('<p class="none">Every group with errors to send has a runbook.</p>')
        return "".join(parts)
    rows = "".join(
        f'<tr><td class="num">{group.shipped:,}</td>'
        f'<td class="service">{_names(group.services)}</td>'
        f"<td>{_e(group.team)}</td>"
        f'<td><div class="title">{_e(group.title)}</div>'
        f'<div class="fp">{_e(" | ".join(group.fingerprint))}</div></td></tr>'
        for group in missing
    )
    parts.append(
        f'<p class="note">{len(missing):,} groups, the largest first. Give them a '
        "<code>runbook</code> with an <code>[[annotate]]</code> rule.</p>"
        '<table class="no-runbook"><thead><tr><th class="num">Errors to send</th>'
        "<th>Service</th><th>Team</th><th>Title / fingerprint</th></tr></thead><tbody>"
        + rows
        + "</tbody></table>"
    )
    return "".join(parts)


def _problems_section(report: RunReport) -> str:
    if not report.problems:
        return ""
    items = "".join(
        f"<li><code>{_e(problem.source)}</code>: {_e(problem.reason)}</li>"
        for problem in report.problems
    )
    return (
        f'<h2 id="problems">Input problems ({report.events_invalid:,} events unreadable)</h2>'
        f"<ul>{items}</ul>"
    )


def render(
    groups: Sequence[Group],
    *,
    total_groups: int,
    report: RunReport,
    noise: Sequence[RuleNoise],
    inputs: Sequence[str],
    config_source: str,
    generated: datetime,
    interrupted: bool = False,
    without_runbook: Sequence[Group] | None = None,
) -> str:
    """The whole page as one string; ``without_runbook`` are the groups
    :meth:`~logship.cli._groups.Groups.without_runbook` gives (None: the config has
    no annotate rules)."""
    config = f" with <code>{_e(config_source)}</code>" if config_source else " with no rules"
    partial = (
        '<p class="badge">Interrupted: this page covers only what was read.</p>'
        if interrupted
        else ""
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>logship report</title>"
        f"<style>{CSS}</style></head><body>"
        "<h1>logship report</h1>"
        f'<p class="meta">{_e(", ".join(inputs))}{config}; generated '
        f"{_e(generated.strftime('%Y-%m-%d %H:%M UTC'))}. A dry run: nothing was sent.</p>"
        + partial
        + _cards(report, total_groups)
        + _groups_section(groups, total_groups)
        + _runbooks_section(without_runbook)
        + _noise_section(noise, report)
        + _problems_section(report)
        + "</body></html>\n"
    )
