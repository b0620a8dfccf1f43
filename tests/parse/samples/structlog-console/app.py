import sys; sys.path.insert(0, "..")
import structlog, scenario
structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    processors=[structlog.stdlib.add_log_level, structlog.processors.TimeStamper(fmt="iso"), structlog.dev.ConsoleRenderer(colors=False)])
log = structlog.get_logger("payment.api")
scenario.run("structlog-console", log.info, log.warning, log.error, log.exception, None, structlog.__version__)
