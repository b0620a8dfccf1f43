"""An ASGI payment service run by uvicorn at its default logging, with real HTTP requests.

uvicorn's LOGGING_CONFIG: "%(levelprefix)s %(message)s" on stderr for uvicorn.error (the
app logs through it too, a common FastAPI recipe) and an access line per request on
stdout. The server runs in the main thread; a client thread sends the requests, writing
a begin marker before each; a filter on uvicorn.access writes the end marker just before
the request's access line. The ledger is a silent listening socket on 127.0.0.1: it
accepts the connection and never answers, so the read times out for real.
"""

import json
import logging
import platform
import socket
import sys
import threading
import urllib.error
import urllib.request

import uvicorn

log = logging.getLogger("uvicorn.error")
LEDGER = socket.create_server(("127.0.0.1", 0))
state = {"entry_open": False}


def marker(verb, **fields):
    sys.stdout.flush()
    sys.stderr.flush()
    sys.stderr.write(f"@@logship@@ {verb} {json.dumps(fields)}\n".replace(" {}\n", "\n"))
    sys.stderr.flush()


def begin(entry_id, group, types=()):
    marker("begin", id=entry_id, error=True, group=group, types=list(types), logger=None,
           level_marks_error=True)
    state["entry_open"] = True


class EndBeforeAccessLine(logging.Filter):
    def filter(self, record):
        if state["entry_open"]:
            marker("end")
            state["entry_open"] = False
        return True


def read_ledger():
    with socket.create_connection(LEDGER.getsockname(), timeout=0.2) as conn:
        return conn.recv(1)


def capture(payment_id):
    try:
        read_ledger()
    except TimeoutError as exc:
        raise RuntimeError(f"capture failed for payment {payment_id}") from exc


def refund(payment_id, amount):
    try:
        return int(amount)
    except ValueError as exc:
        raise RuntimeError(f"refund failed for payment {payment_id}") from exc


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    parts = scope["path"].strip("/").split("/")
    if parts[-1] == "charge":
        user, order, amount = parts[1:4]
        log.error("payment declined for user %s order %s amount %s EUR", user, order, amount)
    elif parts[-1] == "capture":
        capture(parts[1])
    elif parts[2:3] == ["refund"]:
        refund(parts[1], parts[3])
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"status": "ok"}'})


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def client(server, port):
    while not server.started:
        threading.Event().wait(0.05)
    log.warning("ledger latency %d ms above threshold", 850)
    begin("untyped-1", "untyped")
    get(port, "/payments/alice/10423/19.99/charge")
    begin("untyped-2", "untyped")
    get(port, "/payments/bob.smith/88817/250.00/charge")
    for payment_id in ("pay-7f3a91", "pay-c20e5b"):
        begin(f"trace-timeout-{payment_id}", "trace-timeout", ["RuntimeError", "TimeoutError"])
        get(port, f"/payments/{payment_id}/capture")
    begin("trace-number", "trace-number", ["RuntimeError", "ValueError"])
    get(port, "/payments/pay-91d4e0/refund/12,50")
    server.should_exit = True


def main():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port)  # applies LOGGING_CONFIG
    logging.getLogger("uvicorn.access").addFilter(EndBeforeAccessLine())
    marker("meta", framework="uvicorn", version=uvicorn.__version__, language="python",
           configuration="uvicorn's default LOGGING_CONFIG (levelprefix format, no colours: not a "
           "TTY; uvicorn.error on stderr, access log on stdout), h11; the app logs through "
           f"uvicorn.error; real HTTP requests; Python {platform.python_version()}")
    server = uvicorn.Server(config)
    threading.Thread(target=client, args=(server, port), daemon=True).start()
    server.run()


if __name__ == "__main__":
    main()
