"""Fixture service: an HTTP server with /health (200) on 127.0.0.1:PORT.

Usage: http_health.py PORT [--delay S] [--fail-health]
--delay waits before binding (a slow starter); --fail-health answers /health with 503.
Exits 0 on SIGTERM.
"""

import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port = int(sys.argv[1])
delay = float(sys.argv[sys.argv.index("--delay") + 1]) if "--delay" in sys.argv else 0.0
fail = "--fail-health" in sys.argv


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        code = 503 if (fail and self.path == "/health") else 200
        body = b"ok\n" if code == 200 else b"unhealthy\n"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("http: " + (fmt % args) + "\n")


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
time.sleep(delay)
server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
print(f"listening on 127.0.0.1:{port}", flush=True)
server.serve_forever()
