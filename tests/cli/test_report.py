"""Tests for ``logship report``: the groups, the noise per rule, escaping, and a real render.

The page is opened in headless Chromium (Debian's ``chromium``, installed by
``scripts/test``): ``--dump-dom`` for the table, ``--screenshot`` for a picture that is not blank.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from logship.cli import EXIT_INPUT_PROBLEMS, EXIT_OK, EXIT_USAGE, main
from logship.cli._groups import SAMPLE_MAX_LINES, TimeBins, sample_text

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-subscription-events.jsonl.gz"
SAMPLE_GROUPS = 23
SAMPLE_ERRORS = 30

RULES = """\
[[ignore]]
name = "missing-keys"
reason = "Known <bad> rows from the legacy importer & co; SHOP-9."
exception = ["KeyError"]

[[ignore]]
name = "never-matches"
reason = "A stale rule."
exception = ["NoSuchError"]
"""

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
CHROMIUM = shutil.which("chromium")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "logship.toml"
    path.write_text(RULES, encoding="utf-8")
    return path


@pytest.fixture
def hostile_trace(tmp_path: Path) -> Path:
    """A real Python traceback whose message is HTML, as a plain-text log."""
    program = f"raise ValueError({HOSTILE!r})"
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    path = tmp_path / "hostile.log"
    path.write_text("ERROR request failed\n" + result.stderr, encoding="utf-8")
    return path


class _Rows(HTMLParser):
    """The text of each cell of each ``<tr class="group">`` row, and every tag seen."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tags: Counter[str] = Counter()
        self._cell: list[str] | None = None
        self._in_group = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        classes = (dict(attrs).get("class") or "").split()
        if tag == "tr":
            self._in_group = "group" in classes
            if self._in_group:
                self.rows.append([])
        elif tag == "td" and self._in_group:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def parse_rows(page: str) -> _Rows:
    parser = _Rows()
    parser.feed(page)
    return parser


def report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["report", *args])
    out, err = capsys.readouterr()
    return status, out, err


class TestTimeBins:
    def test_coarsens_but_keeps_every_count(self) -> None:
        """Past max_bins the bins widen; no timestamp is lost and the bars add up."""
        bins = TimeBins(max_bins=8)
        times = [i * 1500 for i in range(100)]
        for timestamp in times:
            bins.add(timestamp)
        assert len(bins.counts) <= 8
        assert bins.width > 1000
        assert sum(bins.counts.values()) == 100
        bars = bins.bars(times[0], times[-1], 10)
        assert sum(bars) == 100
        assert sum(1 for bar in bars if bar) == len(bins.counts)  # each bin in its own bar

    def test_bars_place_events_in_time(self) -> None:
        """An early and a late burst land in the first and last bars."""
        bins = TimeBins()
        for timestamp in (0, 10, 20, 99_000, 99_500):
            bins.add(timestamp)
        assert bins.bars(0, 100_000, 4) == [3, 0, 0, 2]


class TestSampleText:
    def test_short_text_is_kept(self) -> None:
        """A trace under the limits is shown whole."""
        assert sample_text("a\nb") == "a\nb"

    def test_long_text_is_cut_with_a_note(self) -> None:
        """A long trace is cut to the line limit and says how much is missing."""
        text = "\n".join(f"line {i}" for i in range(SAMPLE_MAX_LINES + 15))
        cut = sample_text(text)
        assert cut.splitlines()[SAMPLE_MAX_LINES - 1] == f"line {SAMPLE_MAX_LINES - 1}"
        assert cut.endswith("[logship: cut; 15 more lines]")


EXAMPLE_CONFIG = SAMPLE.parent / "logship.toml"


class TestReportCommand:
    def test_sample_page_lists_every_group(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The sample gives 23 ranked group rows with service, types and times."""
        output = tmp_path / "report.html"
        status, out, _ = report(capsys, str(SAMPLE), "-o", str(output))
        assert status == EXIT_OK
        assert out == f"{output}: {SAMPLE_GROUPS} groups, {SAMPLE_ERRORS} errors, from 429 events\n"
        page = output.read_text(encoding="utf-8")
        rows = parse_rows(page).rows
        assert len(rows) == SAMPLE_GROUPS
        rank, count, service, exception, root, owner, title, first, last, _ = rows[0]
        assert (rank, count, service, owner) == ("1", "3", "shipping-service", "")
        assert (exception, root) == ("MemberLookupError", "ConnectionRefusedError")
        assert title.startswith("MemberLookupError: lookup of member")
        assert first <= last
        assert first.startswith("2024-05-01 10:00")
        counts = [int(row[1]) for row in rows]
        assert counts == sorted(counts, reverse=True)
        assert sum(counts) == SAMPLE_ERRORS
        assert page.count('<svg class="hist"') == SAMPLE_GROUPS
        assert page.count("<pre>") == SAMPLE_GROUPS

    def test_page_is_self_contained(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No script, no external URL to load; a CSP forbids both anyway."""
        output = tmp_path / "report.html"
        report(capsys, str(SAMPLE), "-o", str(output))
        page = output.read_text(encoding="utf-8")
        tags = parse_rows(page).tags
        assert tags["script"] == 0
        assert tags["link"] == 0
        assert tags["img"] == 0
        assert "default-src 'none'" in page
        assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in page

    def test_noise_per_ignore_rule(
        self, tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Each ignore rule is listed with its hits (0 too); ignored groups are marked."""
        output = tmp_path / "report.html"
        status, out, _ = report(
            capsys, str(SAMPLE), "--config", str(rules), "-o", str(output), "--json"
        )
        assert status == EXIT_OK
        summary = json.loads(out)
        assert summary["ignore_rules"] == [
            {"name": "missing-keys", "reason": RULES.split('"')[3], "hits": 2, "sampled": 0},
            {"name": "never-matches", "reason": "A stale rule.", "hits": 0, "sampled": 0},
        ]
        ignored = [g for g in summary["groups"] if g["ignored"]]
        assert [g["ignored_by"] for g in ignored] == [{"missing-keys": 1}] * 2
        assert summary["groups"][-2:] == ignored  # nothing to send: ranked last
        page = output.read_text(encoding="utf-8")
        assert page.count('class="group ignored"') == 2
        assert "Known &lt;bad&gt; rows from the legacy importer &amp; co; SHOP-9." in page
        assert "no hits" in page

    def test_json_summary_has_every_group(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--json lists all groups even when --top shows fewer on the page."""
        output = tmp_path / "report.html"
        status, out, _ = report(capsys, str(SAMPLE), "-o", str(output), "--top", "5", "--json")
        assert status == EXIT_OK
        summary = json.loads(out)
        assert len(summary["groups"]) == SAMPLE_GROUPS
        assert sum(g["count"] for g in summary["groups"]) == SAMPLE_ERRORS
        assert summary["summary"]["errors"] == SAMPLE_ERRORS
        first = summary["groups"][0]
        assert first["services"] == ["shipping-service"]
        assert first["root_causes"] == ["ConnectionRefusedError"]
        page = output.read_text(encoding="utf-8")
        assert len(parse_rows(page).rows) == 5
        assert f"{SAMPLE_GROUPS - 5} smaller groups not shown" in page

    def test_owners_and_the_procedures_still_to_write(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With annotate rules each group shows its team, severity and runbook link, and the
        groups without a runbook are listed, the largest first."""
        output = tmp_path / "report.html"
        args = ["--config", str(EXAMPLE_CONFIG), "-o", str(output)]
        status, out, _ = report(capsys, str(SAMPLE), *args, "--json")
        assert status == EXIT_OK
        summary = json.loads(out)
        groups = {tuple(g["fingerprint"]): g for g in summary["groups"]}
        refund = next(g for g in summary["groups"] if g["title"].startswith("refund 1485"))
        assert (refund["team"], refund["severity"]) == ("payments", "high")
        assert refund["runbook"] == "https://wiki.example.com/runbooks/payments/%3Cuntyped%3E"
        missing = [groups[tuple(fingerprint)] for fingerprint in summary["without_runbook"]]
        assert missing
        assert all(g["runbook"] == "" and g["count"] > g["ignored"] for g in missing)
        sizes = [g["count"] - g["ignored"] for g in missing]
        assert sizes == sorted(sizes, reverse=True)
        with_runbook = [g for g in summary["groups"] if g["runbook"]]
        assert len(missing) + len(with_runbook) + 1 == SAMPLE_GROUPS  # + the ignored group

        page = output.read_text(encoding="utf-8")
        owner = next(row[5] for row in parse_rows(page).rows if row[6].startswith("refund"))
        assert owner == "payments high runbook"
        assert 'href="https://wiki.example.com/runbooks/payments/%3Cuntyped%3E"' in page
        section = page.split('id="no-runbook"')[1].split("</table>")[0]
        assert f"{len(missing)} groups, the largest first" in section
        assert section.count("<tr>") == len(missing) + 1  # and the header
        _, out, _ = report(capsys, str(SAMPLE), *args)
        assert out.endswith(f"; {len(missing)} without a runbook\n")

    def test_without_annotate_rules_no_runbook_list(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without annotate rules the page says so instead of listing every group."""
        output = tmp_path / "report.html"
        report(capsys, str(SAMPLE), "-o", str(output))
        page = output.read_text(encoding="utf-8")
        assert "No annotate rules give runbooks" in page

    def test_log_text_is_escaped(
        self, tmp_path: Path, hostile_trace: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """HTML in a log message shows as text: no tag from the log reaches the page."""
        output = tmp_path / "report.html"
        status, _, _ = report(capsys, str(hostile_trace), "-o", str(output))
        assert status == EXIT_OK
        page = output.read_text(encoding="utf-8")
        parsed = parse_rows(page)
        assert parsed.tags["script"] == 0
        assert parsed.tags["img"] == 0
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        # The ERROR line and the interpreter's uncaught traceback are two errors (two rows).
        assert any(HOSTILE in cell for row in parsed.rows for cell in row)

    def test_exit_statuses(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Bad config: 2; an unreadable input: 3 (the page is still written)."""
        bad = tmp_path / "bad.toml"
        bad.write_text("[[ignore]]\nname = 1\n", encoding="utf-8")
        output = tmp_path / "report.html"
        assert report(capsys, str(SAMPLE), "--config", str(bad), "-o", str(output))[0] == 2
        assert not output.exists()
        corrupt = tmp_path / "corrupt.json.gz"
        corrupt.write_bytes(SAMPLE.read_bytes()[:300])
        status, _, err = report(capsys, str(corrupt), "-o", str(output))
        assert status == EXIT_INPUT_PROBLEMS
        assert "corrupt.json.gz" in err
        assert output.exists()
        assert report(capsys, str(SAMPLE), "--top", "0")[0] == EXIT_USAGE


# --- the page in a real browser ---------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its header (the first chunk, IHDR, by the spec)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    assert CHROMIUM is not None
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        timeout=120,
        check=True,
    )


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/test installs it)")
class TestReportInChromium:
    @pytest.fixture
    def page(self, tmp_path: Path, rules: Path, capsys: pytest.CaptureFixture[str]) -> Path:
        output = tmp_path / "report.html"
        status, _, _ = report(capsys, str(SAMPLE), "--config", str(rules), "-o", str(output))
        assert status == EXIT_OK
        return output

    def test_dom_has_the_group_rows(self, tmp_path: Path, page: Path) -> None:
        """The DOM Chromium builds from the page holds one row per group, in rank order."""
        dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout.decode("utf-8")
        rows = parse_rows(dom).rows
        assert len(rows) == SAMPLE_GROUPS
        assert [row[0] for row in rows] == [str(rank) for rank in range(1, SAMPLE_GROUPS + 1)]
        assert rows[0][2] == "shipping-service"
        assert sum(int(row[1]) for row in rows) == SAMPLE_ERRORS
        assert "<svg" in dom

    def test_screenshot_renders(self, tmp_path: Path, page: Path) -> None:
        """The screenshot is a real picture: at the window's size, and holding far more than
        a blank page of that size (compressed, a flat picture is a few KB; text, cards and
        bars are tens of KB)."""
        blank = tmp_path / "blank.html"
        blank.write_text("<!doctype html><html><body></body></html>", encoding="utf-8")
        shots = {}
        for name, source in (("report", page), ("blank", blank)):
            shot = tmp_path / f"{name}.png"
            chromium(tmp_path, "--window-size=1000,700", f"--screenshot={shot}", source.as_uri())
            shots[name] = shot.read_bytes()
        assert png_size(shots["report"]) == png_size(shots["blank"]) == (1000, 700)
        assert len(shots["report"]) > 20_000
        assert len(shots["report"]) > 10 * len(shots["blank"])
