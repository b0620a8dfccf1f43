#!/bin/sh
# A one-file Rails app in production mode logging to STDOUT as the generated
# config/environments/production.rb does with RAILS_LOG_TO_STDOUT (Logger::Formatter,
# TaggedLogging, no log_tags); run.rb drives requests in-process through Rack.
# Needs Debian's ruby and Rails 6.1: apt-get install -y ruby ruby-rails
# Network use is 127.0.0.1 only (a silent local listener).
set -eu
if ! ruby -e 'require "action_controller/railtie"' >/dev/null 2>&1; then
    echo "run.sh: ruby or Rails is missing: apt-get install -y ruby ruby-rails" >&2
    exit 1
fi
export TZ=UTC RAILS_ENV=production RAILS_LOG_TO_STDOUT=1
exec ruby "$(pwd)/run.rb"
