# A one-file Rails app: a payments controller whose actions log and raise. The logger
# is the one the generated config/environments/production.rb builds when
# RAILS_LOG_TO_STDOUT is set. run.rb drives it.
require "net/http"
require "socket"
require "action_controller/railtie"

SILENT = TCPServer.new("127.0.0.1", 0)

class PaymentsApp < Rails::Application
  config.root = __dir__
  config.eager_load = true
  config.secret_key_base = "0" * 64
  config.consider_all_requests_local = false
  config.log_level = :info
  config.log_tags = [:request_id] unless ENV["LOGSHIP_RAILS_UNTAGGED"] # rails-untagged sample
  config.log_formatter = ::Logger::Formatter.new
  if ENV["RAILS_LOG_TO_STDOUT"].present?
    logger           = ActiveSupport::Logger.new(STDOUT)
    logger.formatter = config.log_formatter
    config.logger    = ActiveSupport::TaggedLogging.new(logger)
  end

  routes.append do
    post "/payments/:id/decline" => "payments#decline"
    post "/payments/:id/charge" => "payments#charge"
    get "/health" => "payments#health"
  end
end

class GatewayError < StandardError; end

class PaymentsController < ActionController::API
  def health
    render json: { ok: true }
  end

  def decline
    logger.error("payment #{params[:id]} declined for user #{params[:user]} (amount #{params[:amount]} EUR)")
    head :payment_required
  end

  def charge
    logger.warn("charging payment #{params[:id]} without a cached rate")
    cents = parse_amount(params[:amount])
    rate = fetch_rate(params[:id])
    render json: { cents: cents, rate: rate }
  end

  private

  def parse_amount(raw)
    Integer(raw)
  rescue ArgumentError
    raise GatewayError, "bad amount for payment #{params[:id]}"
  end

  # The rates service accepts the connection and never answers.
  def fetch_rate(id)
    http = Net::HTTP.new("127.0.0.1", SILENT.addr[1])
    http.read_timeout = 0.2
    http.get("/rates?payment=#{id}").body
  rescue Net::ReadTimeout
    raise GatewayError, "rate lookup failed for payment #{id}"
  end
end

