import logging, sys, uuid
sys.path.insert(0, "..")
from common import marker, charge, parse_amount
logging.basicConfig(stream=sys.stderr, level=logging.INFO,
    format="%(asctime)s %(levelname)s [payment-service,%(trace)s] %(name)s: %(message)s")
class F(logging.Filter):
    def filter(self, r):
        r.trace = uuid.uuid4().hex; return True
log = logging.getLogger("payment.api")
log.addFilter(F())
marker("meta", framework="python-logging-trace", version=sys.version.split()[0], language="python")
marker("begin", id="info-1", error=False, group=None, types=[], logger="payment.api", level_marks_error=True)
log.info("started order 1")
marker("begin", id="warn-1", error=False, group=None, types=[], logger="payment.api", level_marks_error=True)
log.warning("slow order 2 took 30 ms")
for i, (o, u) in enumerate([(8812, "alice"), (91, "bob")]):
    marker("begin", id=f"untyped-{i}", error=True, group="untyped", types=[], logger="payment.api", level_marks_error=True)
    log.error("payment declined for order %s user %s", o, u)
for i, o in enumerate([17, 4242]):
    marker("begin", id=f"timeout-{i}", error=True, group="trace-timeout", types=["RuntimeError", "TimeoutError"], logger="payment.api", level_marks_error=True)
    try: charge(o)
    except RuntimeError: log.exception("charge %s failed", o)
marker("begin", id="number-0", error=True, group="trace-number", types=["RuntimeError", "ValueError"], logger="payment.api", level_marks_error=True)
try: parse_amount(5, "12x")
except RuntimeError: log.exception("charge 5 failed")
marker("begin", id="info-2", error=False, group=None, types=[], logger="payment.api", level_marks_error=True)
log.info("done")
marker("end")
