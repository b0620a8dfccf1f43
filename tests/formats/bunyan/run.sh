#!/usr/bin/env bash
# Runs app.js with the bunyan pinned in package-lock.json.
# Needs node >= 20 and npm (Debian: apt-get install nodejs npm) and the npm registry.
set -euo pipefail
cd "$(dirname "$0")"
command -v node >/dev/null || { echo "run.sh: node is missing: apt-get install nodejs npm" >&2; exit 1; }
command -v npm >/dev/null || { echo "run.sh: npm is missing: apt-get install npm" >&2; exit 1; }
# npm's own output would end up in output.log: keep it, and show it only if npm fails.
if ! out=$(npm ci --no-audit --no-fund 2>&1); then
    echo "run.sh: npm ci failed:" >&2
    echo "$out" >&2
    exit 1
fi
exec node app.js
