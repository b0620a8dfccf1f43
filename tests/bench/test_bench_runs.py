"""``python -m bench`` runs and prints every section (the benchmark's parts are tested in
``bench/tests``; logship's tests do not import the ``bench`` package).

Nothing here is timed: the figures are for ``python -m bench`` to print and
``docs/performance.md`` to record, not for a test to assert on a noisy machine.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class TestBenchmarkRuns:
    def test_tiny_run_prints_every_section(self) -> None:
        """`python -m bench --tiny` measures all three stages, cold start and memory."""
        done = subprocess.run(
            [sys.executable, "-m", "bench", "--tiny"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        out = done.stdout
        for label in ("(1) floor", "(2) pipeline", "(3) lambda handler"):
            row = next(line for line in out.splitlines() if line.startswith(label))
            assert re.search(r"\d+\.\d+%", row), row
        shipped = re.search(r"\(3\) shipped (\d+), the sink accepted (\d+) per run", out)
        assert shipped is not None
        assert shipped.group(1) == shipped.group(2)  # every shipped event reached the sink
        assert "import lambda_handler" in out
        assert re.search(r"batch\s+\d+ events.*peak\s+\d+\.\d MB", out)
