#!/bin/sh
# structlog rendering JSON (dict_tracebacks + JSONRenderer). Needs structlog from PyPI:
#   pip install structlog  (26.1 when captured). Network use is 127.0.0.1 only.
set -eu
if ! python3 -c "import structlog" 2> /dev/null; then
    echo "run.sh: structlog is missing: pip install structlog" >&2
    exit 1
fi
exec python3 -u app.py
