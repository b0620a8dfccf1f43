import logging, sys, uuid
sys.path.insert(0, "..")
import scenario
logging.basicConfig(stream=sys.stderr, level=logging.INFO,
    format="%(asctime)s %(levelname)s [payment-service,%(trace)s] %(name)s: %(message)s")
class F(logging.Filter):
    def filter(self, r):
        r.trace = uuid.uuid4().hex; return True
log = logging.getLogger("payment.api")
log.addFilter(F())
scenario.run("python-logging-request-values", log.info, log.warning, log.error, log.exception, "payment.api", sys.version.split()[0])
