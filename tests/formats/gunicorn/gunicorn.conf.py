"""gunicorn's defaults (sync worker, one worker, error log on stderr at INFO), plus what the
fixture needs from inside gunicorn: a logging.Filter that brackets the boot failure's
records with marker lines (only gunicorn knows when it writes them; it changes no record),
and a post_fork hook that only waits, so the master's "Control socket listening" line is
written before the worker loads the app and never lands inside an entry."""

import json
import logging
import os
import sys
import time


class BootFailureMarkers(logging.Filter):
    def __init__(self):
        super().__init__()
        self.in_boot_failure = False
        self.until_next_info = False

    def marker(self, verb, **fields):
        sys.stderr.flush()
        sys.stderr.write(f"@@logship@@ {verb} {json.dumps(fields)}\n".replace(" {}\n", "\n"))
        sys.stderr.flush()

    def begin(self, group, types=()):
        self.marker("begin", id=group, error=True, group=group, types=list(types), logger=None,
                    level_marks_error=True)

    def filter(self, record):
        message = record.getMessage()
        error = record.levelno >= logging.ERROR
        if self.until_next_info and not error:
            self.marker("end")
            self.until_next_info = False
        if message == "Exception in worker process":  # in the worker
            self.in_boot_failure = True
            self.begin("boot-failure", ["RuntimeError", "KeyError"])
        elif self.in_boot_failure and message.startswith("Worker exiting"):
            self.marker("end")
        elif error and message.startswith("Worker (pid:"):  # in the master: "exited with code 3"
            self.begin("worker-exited")
            self.until_next_info = True
        elif error and message.startswith("Shutting down"):  # "Shutting down: Master"
            self.begin("master-halt")
        elif error and message.startswith("Reason:"):  # "Reason: Worker failed to boot."
            self.begin("master-halt-reason")
        return True


def on_starting(server):
    logging.getLogger("gunicorn.error").addFilter(BootFailureMarkers())


def post_fork(server, worker):
    deadline = time.monotonic() + 5
    while not os.path.exists(server.cfg.control_socket) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # the master logs right after creating the socket
