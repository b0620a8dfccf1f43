#!/bin/sh
# Ruby's stdlib Logger with its default formatter, logging to STDOUT; exceptions are
# passed to Logger#error as Rails apps do (the formatter prints message, class, backtrace).
# Needs Debian's ruby (3.1): apt-get install -y ruby
# Network use is 127.0.0.1 only (a silent local listener and a closed port).
set -eu
if ! command -v ruby >/dev/null 2>&1; then
    echo "run.sh: ruby is missing: apt-get install -y ruby" >&2
    exit 1
fi
export TZ=UTC
exec ruby "$(pwd)/app.rb"
