#!/bin/sh
# Django at its default LOGGING, requests through Django's test Client.
# Needs Django from PyPI: pip install django  (5.2 when captured). No network use but
# 127.0.0.1 (a silent local listening socket).
set -eu
if ! python3 -c "import django" 2> /dev/null; then
    echo "run.sh: Django is missing: pip install django" >&2
    exit 1
fi
exec python3 -u app.py
