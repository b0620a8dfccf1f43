import json, socket, sys, uuid, random

def marker(verb, **fields):
    for h in ():
        pass
    sys.stderr.flush(); sys.stdout.flush()
    print(f"@@logship@@ {verb} {json.dumps(fields)}" if fields else f"@@logship@@ {verb}", file=sys.stderr, flush=True)

def timeout(order):
    server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen()
    client = socket.create_connection(server.getsockname(), timeout=0.05)
    try:
        client.recv(10)
    finally:
        client.close(); server.close()

def charge(order):
    try:
        timeout(order)
    except OSError as exc:
        raise RuntimeError(f"charge failed for order {order}") from exc

def parse_amount(order, text):
    try:
        return int(text)
    except ValueError as exc:
        raise RuntimeError(f"charge failed for order {order}") from exc
