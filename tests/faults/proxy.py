#!/usr/bin/env python3
"""A fault-injecting HTTP proxy on loopback, for kiln's remote tests.

It forwards every request to an object store (Garage, Azurite) and, with
probability RATE per request, breaks the answer in one way:

  5xx       answers 503 (S3 "SlowDown") without forwarding the request
  reset     forwards, sends the headers and half the body, then resets the
            connection (TCP RST)
  truncate  forwards, sends the headers with the full Content-Length and
            half the body, then closes the connection cleanly
  slow      forwards, and waits DELAY seconds before answering

The mode can be changed while it runs by writing `MODE RATE` to the control
file (`--control`); `off` forwards everything untouched. It prints its port
on the first line of stdout. Faults are drawn from a seeded generator, and at
most --limit faults are injected in all (0: no limit), so a test is bounded.
Only the Python standard library is used.
"""

import argparse
import http.client
import random
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

STATE = {"mode": "off", "rate": 0.0, "faults": 0}
LOCK = threading.Lock()


def read_control(path):
    try:
        with open(path) as f:
            parts = f.read().split()
    except OSError:
        return
    if parts:
        STATE["mode"] = parts[0]
        STATE["rate"] = float(parts[1]) if len(parts) > 1 else 1.0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def fault(self):
        """The fault to inject into this request, if any."""
        if ARGS.control:
            read_control(ARGS.control)
        with LOCK:
            mode = STATE["mode"]
            if mode == "off" or RNG.random() >= STATE["rate"]:
                return None
            if ARGS.limit and STATE["faults"] >= ARGS.limit:
                return None
            STATE["faults"] += 1
            if ARGS.count:
                with open(ARGS.count, "w") as f:
                    f.write(str(STATE["faults"]))
            return mode

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        fault = self.fault()
        if fault == "5xx":
            self.rfile.read(0)
            payload = (
                b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
                b"<Message>injected by the test proxy</Message></Error>"
            )
            self.send_response(503)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            # A HEAD answer has no body, whatever its status.
            if self.command != "HEAD":
                self.wfile.write(payload)
            return
        up = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
        headers = {k: v for k, v in self.headers.items()}
        up.request(self.command, self.path, body=body, headers=headers)
        resp = up.getresponse()
        data = resp.read()
        up.close()
        if fault == "slow":
            time.sleep(ARGS.delay)
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        # A HEAD answer carries the object's length but no body.
        if self.command == "HEAD":
            self.send_header("Content-Length", resp.getheader("Content-Length") or "0")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if fault in ("reset", "truncate") and len(data) > 1:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            if fault == "reset":
                # SO_LINGER with a zero timeout: close sends RST, not FIN.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            self.close_connection = True
            return
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that hung up (often after a fault it was sent) is normal here.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def main():
    global ARGS, RNG, UPSTREAM
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--mode", default="off", choices=["off", "5xx", "reset", "truncate", "slow"])
    ap.add_argument("--rate", type=float, default=0.3)
    ap.add_argument("--delay", type=float, default=1.0)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--control", help="a file holding `MODE RATE`, read per request")
    ap.add_argument("--count", help="a file the number of faults injected is written to")
    ARGS = ap.parse_args()
    RNG = random.Random(ARGS.seed)
    UPSTREAM = urlsplit(ARGS.upstream)
    STATE["mode"], STATE["rate"] = ARGS.mode, ARGS.rate
    server = QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    # Bounded: a proxy left behind by a killed test stops by itself.
    threading.Timer(900, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
