#!/bin/sh
# structlog with no configuration (ConsoleRenderer defaults). Needs structlog from PyPI:
#   pip install structlog  (26.1 when captured; without rich or better-exceptions, which
#   would change how tracebacks are drawn). Network use is 127.0.0.1 only.
set -eu
if ! python3 -c "import structlog" 2> /dev/null; then
    echo "run.sh: structlog is missing: pip install structlog" >&2
    exit 1
fi
exec python3 -u app.py
