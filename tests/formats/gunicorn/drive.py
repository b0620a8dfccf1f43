"""Runs gunicorn on app.py at its defaults and sends it real HTTP requests on 127.0.0.1.

gunicorn's error log and these marker lines share stderr. Each request is sent after the
previous response arrived, and the app (or gunicorn) logs before it answers, so the order
of markers and log lines is exact. A second start without LEDGER_ADDR fails to boot.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import gunicorn

# gunicorn 27 creates a control socket in $HOME/.gunicorn (and logs its path): HOME is this
# directory, as in a container whose working directory is its home (/app in output.log).
HERE = os.path.dirname(os.path.abspath(__file__))
HOME_ENV = {key: value for key, value in os.environ.items() if key != "XDG_RUNTIME_DIR"}
HOME_ENV["HOME"] = HERE


def marker(verb, **fields):
    sys.stderr.flush()
    sys.stderr.write(f"@@logship@@ {verb} {json.dumps(fields)}\n".replace(" {}\n", "\n"))
    sys.stderr.flush()


def begin(entry_id, group, types=()):
    marker("begin", id=entry_id, error=True, group=group, types=list(types), logger=None,
           level_marks_error=True)


def free_port():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def get(port, path):
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except urllib.error.URLError:
            time.sleep(0.1)  # not listening yet
    raise SystemExit(f"gunicorn never answered {path}")


def gunicorn_cmd(port):
    return [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
            "--bind", f"127.0.0.1:{port}", "app:application"]


def main():
    marker("meta", framework="gunicorn", version=gunicorn.__version__, language="python",
           configuration="gunicorn's defaults: sync worker, 1 worker, error log on stderr at INFO "
           "(%(asctime)s [%(process)d] [%(levelname)s] %(message)s), no access log; the app's "
           "logger takes gunicorn.error's handlers (Flask's recipe); real HTTP requests")
    with socket.create_server(("127.0.0.1", 0)) as ledger:
        env = dict(HOME_ENV, LEDGER_ADDR=f"127.0.0.1:{ledger.getsockname()[1]}")
        port = free_port()
        server = subprocess.Popen(gunicorn_cmd(port), env=env)
        get(port, "/healthz")  # the worker has booted and logged its start-up lines

        begin("untyped-1", "untyped")
        get(port, "/payments/alice/10423/19.99/charge")
        begin("untyped-2", "untyped")
        get(port, "/payments/bob.smith/88817/250.00/charge")
        for payment_id in ("pay-7f3a91", "pay-c20e5b"):
            begin(f"trace-timeout-{payment_id}", "trace-timeout", ["RuntimeError", "TimeoutError"])
            get(port, f"/payments/{payment_id}/capture")
        begin("trace-number", "trace-number", ["RuntimeError", "ValueError"])
        get(port, "/payments/pay-91d4e0/refund/12,50")
        marker("end")
        server.send_signal(signal.SIGTERM)
        server.wait()

    # The same service started without its LEDGER_ADDR: the worker fails to boot
    # (gunicorn.conf.py brackets that), then the master halts.
    code = subprocess.run(gunicorn_cmd(free_port()), env=HOME_ENV, check=False).returncode
    shutil.rmtree(os.path.join(HERE, ".gunicorn"), ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
