#!/bin/sh
# uvicorn at its default logging serving an ASGI app, driven by real HTTP requests.
# Needs uvicorn from PyPI: pip install uvicorn  (0.54 with h11 when captured). Network use
# is 127.0.0.1 only.
set -eu
if ! python3 -c "import uvicorn" 2> /dev/null; then
    echo "run.sh: uvicorn is missing: pip install uvicorn" >&2
    exit 1
fi
exec python3 -u app.py
