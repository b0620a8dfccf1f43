"""What a fresh interpreter loads: for the tests of what stays off the Lambda's cold start."""

from __future__ import annotations

import json
import subprocess
import sys


def loaded_modules(code: str) -> set[str]:
    """The modules loaded after running ``code`` in a fresh interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return set(json.loads(out))
