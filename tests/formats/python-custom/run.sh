#!/bin/sh
# Python's logging with a custom format common in services. Needs only Python 3
# (3.11 when captured). Network use is 127.0.0.1 only.
set -eu
exec python3 -u app.py
