"""The reliability suite's session hooks: the table of cases tried, printed in the test log."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reliability_support import CASES, render


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the cases the reliability suite tried and what came of each."""
    if not CASES:
        return
    terminalreporter.section(f"reliability: {len(CASES)} cases tried")
    for text in render(CASES):
        terminalreporter.write_line(text)
