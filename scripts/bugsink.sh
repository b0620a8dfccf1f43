#!/usr/bin/env bash
# A local Bugsink (a Sentry-compatible server) on 127.0.0.1, for the end-to-end tests.
#
#   scripts/bugsink.sh [start]   install if needed, configure, migrate, start; print the env
#   scripts/bugsink.sh stop      stop the server started from the same BUGSINK_HOME
#
# Environment (all optional):
#   BUGSINK_PORT     port to listen on (default 8765)
#   BUGSINK_HOME     data directory: conf, databases, logs, env file (default .cache/bugsink)
#   BUGSINK_VENV     virtualenv for Bugsink (default .cache/bugsink-venv). Bugsink gets its own
#                    because it installs generic top-level packages (events, issues, projects...).
#   BUGSINK_VERSION  pip requirement (default bugsink==2.6.1)
#
# On success the last lines on stdout are KEY=VALUE pairs, also written to $BUGSINK_HOME/env:
# BUGSINK_URL, BUGSINK_DSN, BUGSINK_TOKEN, BUGSINK_PROJECT_ID, BUGSINK_PID.
# Each step is skipped when already done, so a second run takes about a second.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
port=${BUGSINK_PORT:-8765}
home=${BUGSINK_HOME:-$root/.cache/bugsink}
venv=${BUGSINK_VENV:-$root/.cache/bugsink-venv}
requirement=${BUGSINK_VERSION:-bugsink==2.6.1}
url="http://127.0.0.1:$port"

log() { echo "bugsink.sh: $*" >&2; }

stop() {
    if [[ -f "$home/server.pid" ]]; then
        pid=$(cat "$home/server.pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid"
            log "stopped server (pid $pid)"
        fi
        rm -f "$home/server.pid"
    fi
}

if [[ "${1:-start}" == "stop" ]]; then
    stop
    exit 0
fi

mkdir -p "$home"
home=$(cd "$home" && pwd)

# 1. Install into a dedicated virtualenv (skipped when the pinned version is there).
if ! "$venv/bin/python" -c "import bugsink" 2>/dev/null \
    || [[ "$(cat "$venv/.requirement" 2>/dev/null)" != "$requirement" ]]; then
    log "installing $requirement into $venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$requirement"
    echo "$requirement" > "$venv/.requirement"
fi
manage=("$venv/bin/bugsink-manage")

# 2. Configuration: the local template, no phoning home, absolute database paths.
cd "$home"  # bugsink-manage imports bugsink_conf from the working directory
if [[ ! -f bugsink_conf.py ]] || ! grep -q "BASE_URL.*:$port\"" bugsink_conf.py; then
    log "writing $home/bugsink_conf.py"
    "$venv/bin/bugsink-create-conf" --template=local --host=127.0.0.1 --port="$port" \
        --output-file=bugsink_conf.py.new >&2
    cat >> bugsink_conf.py.new <<EOF

# Added by scripts/bugsink.sh: a test server never phones home, and its databases live
# in its own directory whatever the working directory of the command.
BUGSINK["PHONEHOME"] = False
DATABASES["default"]["NAME"] = "$home/db.sqlite3"
DATABASES["default"]["TEST"]["NAME"] = "$home/test.sqlite3"
DATABASES["snappea"]["NAME"] = "$home/snappea.sqlite3"
EOF
    mv bugsink_conf.py.new bugsink_conf.py
    rm -f dsn token  # a new BASE_URL means a new DSN
fi

# 3. Databases (migrate is a no-op when up to date, but still costs a second: skip it
#    when this version has migrated this home before).
if [[ "$(cat migrated 2>/dev/null)" != "$requirement" ]]; then
    log "migrating"
    "${manage[@]}" migrate --no-input >migrate.log
    "${manage[@]}" migrate snappea --database=snappea --no-input >>migrate.log
    echo "$requirement" > migrated
fi

# 4. A team and a project (id 1 on a fresh home); its DSN.
if [[ ! -s dsn ]]; then
    "${manage[@]}" shell -c '
from teams.models import Team
from projects.models import Project
team, _ = Team.objects.get_or_create(name="logship")
project = Project.objects.filter(name="logship-e2e").first()
if project is None:
    project = Project.objects.create(name="logship-e2e", team=team)
print("project_id=" + str(project.id))
print("dsn=" + project.dsn)
' > project.out  # Django 5.2 shell also prints its auto-imports: pick our lines
    sed -n 's/^project_id=//p' project.out > project_id
    sed -n 's/^dsn=//p' project.out > dsn
    rm -f project.out
fi

# 5. An API token (full access) for reading issues back.
if [[ ! -s token ]]; then
    "${manage[@]}" create_auth_token | grep -E '^[0-9a-f]{40}$' > token
fi

# 6. The server, unless one already answers on this port.
ready() { python3 - "$url/health/ready" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=1) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}
if ! ready; then
    stop
    log "starting server on $url (log: $home/server.log)"
    nohup "${manage[@]}" runserver "127.0.0.1:$port" --noreload >server.log 2>&1 &
    echo $! > server.pid
    for _ in $(seq 1 120); do
        if ready; then break; fi
        if ! kill -0 "$(cat server.pid)" 2>/dev/null; then
            log "the server exited; its log:"
            cat server.log >&2
            exit 1
        fi
        sleep 0.25
    done
    ready || { log "not ready after 30s; see $home/server.log"; exit 1; }
fi

cat > env <<EOF
BUGSINK_URL=$url
BUGSINK_DSN=$(cat dsn)
BUGSINK_TOKEN=$(cat token)
BUGSINK_PROJECT_ID=$(cat project_id)
BUGSINK_PID=$(cat server.pid 2>/dev/null || echo)
EOF
cat env
