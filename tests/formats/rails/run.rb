# Drives app.rb in-process through Rack::MockRequest and brackets its log lines with
# the marker lines of tests/formats/generate.py. Kept out of app.rb so that Rails'
# backtrace cleaner (which keeps app*, config, lib frames) shows only the app's frames.
require "json"

$stdout.sync = true

def marker(verb, fields = nil)
  $stdout.flush
  $stdout.write(fields ? "@@logship@@ #{verb} #{JSON.generate(fields)}\n" : "@@logship@@ #{verb}\n")
end

# The entry the next request makes. A failing request's marker is written when its
# exception reaches ActionDispatch::DebugExceptions, which logs it (after the
# "Completed 500" line); an untyped error's around the app's logger.error call.
$next_entry = nil
module MarkErrors
  def error(*args, &block)
    marker("begin", $next_entry)
    super
    marker("end")
  end
end
class EntryMarker
  def initialize(app)
    @app = app
  end

  def call(env)
    @app.call(env)
  rescue Exception
    marker("begin", $next_entry) if $next_entry
    raise
  end
end

require_relative "app"
Rails.application.config.middleware.insert_after ActionDispatch::DebugExceptions, EntryMarker
Rails.application.initialize!
Rails.logger.singleton_class.prepend(MarkErrors)
marker("meta", framework: ENV["LOGSHIP_RAILS_UNTAGGED"] ? "rails-untagged" : "rails", version: Rails.version, language: "ruby",
               configuration: "production environment, RAILS_LOG_TO_STDOUT as the generated production.rb " \
                              "(ActiveSupport::TaggedLogging over ActiveSupport::Logger.new(STDOUT) with " \
                              "::Logger::Formatter), #{ENV["LOGSHIP_RAILS_UNTAGGED"] ? "no log_tags" : "config.log_tags = [:request_id]"}, log_level :info; " \
                              "requests through Rack::MockRequest")

app = Rack::MockRequest.new(Rails.application)
client = { "REMOTE_ADDR" => "10.0.3.17" }
app.get("/health", client)
[["untyped-1", 4711, "alice", "12.50"], ["untyped-2", 5820, "bob", "7.00"]].each do |id, payment, user, amount|
  $next_entry = { id: id, error: true, group: "untyped", types: [], logger: nil, level_marks_error: true }
  app.post("/payments/#{payment}/decline", **client, params: { user: user, amount: amount })
end

[["trace-timeout-1", 1003], ["trace-timeout-2", 1004]].each do |id, payment|
  $next_entry = { id: id, error: true, group: "trace-timeout", types: ["GatewayError"],
                  logger: nil, level_marks_error: true }
  app.post("/payments/#{payment}/charge", **client, params: { amount: "1250" })
  marker("end")
end

$next_entry = { id: "trace-number-1", error: true, group: "trace-number", types: ["GatewayError"],
                logger: nil, level_marks_error: true }
app.post("/payments/1005/charge", **client, params: { amount: "x" })
marker("end")

app.get("/health", client)
