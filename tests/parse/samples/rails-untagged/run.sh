#!/bin/bash
# The rails fixture's program (tests/formats/rails) run without log_tags, as an app that
# never set them: the exception report's lines carry no tag to be joined by.
# Needs Debian's ruby and Rails 6.1: apt-get install -y ruby ruby-rails
# Network use is 127.0.0.1 only (a silent local listener).
set -euo pipefail
if ! ruby -e 'require "action_controller/railtie"' >/dev/null 2>&1; then
    echo "run.sh: ruby or Rails is missing: apt-get install -y ruby ruby-rails" >&2
    exit 1
fi
program=$(cd ../../../formats/rails && pwd)
export TZ=UTC RAILS_ENV=production RAILS_LOG_TO_STDOUT=1 LOGSHIP_RAILS_UNTAGGED=1
# The program's paths as if it lived here, which the generator then writes as /app.
ruby "$program/run.rb" 2>&1 | sed "s|$program|$(pwd)|g"
