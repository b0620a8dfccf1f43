#!/usr/bin/env bash
# Runs app.js with the node on PATH (no packages). Needs node >= 20 (Debian: apt-get install nodejs).
# The program dies of an uncaught exception at the end: the exit status is 1 on purpose.
set -uo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "run.sh: node is missing: apt-get install nodejs" >&2; exit 1; }
exec node app.js
