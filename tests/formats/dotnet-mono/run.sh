#!/bin/sh
# An async .NET service on Mono: compiles Program.cs with mcs and runs it with plain
# `mono` (no --debug, the runtime's default: frames without file and line).
# Needs Debian's Mono 6.8: apt-get install -y mono-mcs mono-runtime libmono-system-net-http4.0-cil
# Network use is 127.0.0.1 only (a silent local listener and a closed port).
set -eu
if ! command -v mcs >/dev/null 2>&1 || ! command -v mono >/dev/null 2>&1; then
    echo "run.sh: mcs or mono is missing: apt-get install -y mono-mcs mono-runtime libmono-system-net-http4.0-cil" >&2
    exit 1
fi
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
mcs -nowarn:1998 -r:System.Net.Http.dll -out:"$build/Program.exe" Program.cs
export TZ=UTC
export MONO_VERSION=$(mono --version | sed -n '1s/^Mono JIT compiler version \([^ ]*\).*/\1/p')
mono "$build/Program.exe"
