# A payments worker logging through Ruby's stdlib Logger (default formatter) to STDOUT.
require "json"
require "logger"
require "net/http"
require "socket"

$stdout.sync = true

# Marker lines for tests/formats/generate.py, on the logger's stream, after it.
def marker(verb, fields = nil)
  $stdout.flush
  $stdout.write(fields ? "@@logship@@ #{verb} #{JSON.generate(fields)}\n" : "@@logship@@ #{verb}\n")
end

def begin_entry(id, group, types)
  marker("begin", id: id, error: true, group: group, types: types, logger: "payments", level_marks_error: true)
end

module Payments
  class GatewayError < StandardError; end

  # Rates come from a local service that accepts the connection and never answers.
  class RatesClient
    def initialize(port)
      @port = port
    end

    def rate_for(order_id)
      http = Net::HTTP.new("127.0.0.1", @port)
      http.open_timeout = 1
      http.read_timeout = 0.2
      http.get("/rates?order=#{order_id}").body
    rescue Net::ReadTimeout
      raise GatewayError, "rate lookup failed for order #{order_id}"
    end
  end

  class AmountParser
    def cents(order_id, raw)
      Integer(raw)
    rescue ArgumentError
      raise GatewayError, "bad amount for order #{order_id}"
    end
  end

  class Checkout
    def initialize(port)
      @port = port
    end

    # Not rescued: the worker dies with Ruby's own report of the exception and its cause.
    def confirm(order_id)
      TCPSocket.new("127.0.0.1", @port)
    rescue Errno::ECONNREFUSED
      raise GatewayError, "confirmation failed for order #{order_id}"
    end
  end
end

silent = TCPServer.new("127.0.0.1", 0)
closed = TCPServer.new("127.0.0.1", 0)
closed_port = closed.addr[1]
closed.close

logger = Logger.new($stdout, progname: "payments")
marker("meta", framework: "ruby-logger", version: "logger #{Logger::VERSION} (ruby #{RUBY_VERSION})",
               language: "ruby",
               configuration: "Logger.new($stdout, progname: 'payments') with the default Logger::Formatter; " \
                              "exceptions logged as logger.error(e); the last one is left uncaught")

logger.info("payments worker started (pid #{Process.pid})")
logger.info("charged order 1001 for alice: 12.50 EUR")
logger.warn("order 1002 retried (attempt 2)")

begin_entry("untyped-1", "untyped", [])
logger.error("payment 4711 declined for user alice (amount 12.50 EUR, trace 3f9a1c2e7b)")
marker("end")
begin_entry("untyped-2", "untyped", [])
logger.error("payment 5820 declined for user bob (amount 7.00 EUR, trace a81d44f0c9)")
marker("end")

rates = Payments::RatesClient.new(silent.addr[1])
[["trace-timeout-1", 1003], ["trace-timeout-2", 1004]].each do |id, order|
  begin_entry(id, "trace-timeout", ["Payments::GatewayError"])
  begin
    rates.rate_for(order)
  rescue Payments::GatewayError => e
    logger.error(e)
  end
  marker("end")
end

begin_entry("trace-number-1", "trace-number", ["Payments::GatewayError"])
begin
  Payments::AmountParser.new.cents(1005, "x")
rescue Payments::GatewayError => e
  logger.error(e)
end
marker("end")

logger.info("charged order 1006 for carol: 3.20 EUR")

# Ruby prints the uncaught exception and its cause on stderr as the process dies.
marker("begin", id: "uncaught-1", error: true, group: "uncaught-refused",
                types: ["Payments::GatewayError", "Errno::ECONNREFUSED"], logger: nil, level_marks_error: false)
Payments::Checkout.new(closed_port).confirm(1007)
