#!/bin/sh
# gunicorn at its defaults serving app.py, driven by real HTTP requests (drive.py).
# Needs gunicorn from PyPI: pip install gunicorn  (27.0 when captured). Network use is
# 127.0.0.1 only.
set -eu
if ! python3 -c "import gunicorn" 2> /dev/null; then
    echo "run.sh: gunicorn is missing: pip install gunicorn" >&2
    exit 1
fi
exec python3 -u drive.py
