import sys; sys.path.insert(0, "..")
import structlog, scenario
structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    processors=[structlog.stdlib.add_log_level, structlog.processors.TimeStamper(fmt="iso"), structlog.processors.dict_tracebacks, structlog.processors.JSONRenderer()])
log = structlog.get_logger().bind(logger="payment.api")
scenario.run("structlog-json", log.info, log.warning, log.error, log.exception, "payment.api", structlog.__version__)
