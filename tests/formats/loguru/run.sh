#!/bin/sh
# loguru at its default handler and format, including logger.exception (diagnose=True).
# Needs loguru from PyPI: pip install loguru  (0.7 when captured). Network use is
# 127.0.0.1 only.
set -eu
if ! python3 -c "import loguru" 2> /dev/null; then
    echo "run.sh: loguru is missing: pip install loguru" >&2
    exit 1
fi
exec python3 -u app.py
