#!/bin/sh
# Mono 6.8 with --debug (frames with file and line), exceptions printed with
# Console.Error.WriteLine between plain lines (dotnet-mono in tests/formats has the
# unhandled crash).
# Needs Debian's Mono: apt-get install -y mono-mcs mono-runtime
set -eu
cd "$(dirname "$0")"
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
mcs -debug -out:"$build/Program.exe" Program.cs
mono --debug "$build/Program.exe" 2>&1
