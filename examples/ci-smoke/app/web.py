"""The ci-smoke example's web service: GET /health answers ok, GET / the greeting (stdlib only)."""

import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

GREETING = os.environ.get("GREETING", "hello").encode()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the http.server spelling
        body = b"ok" if self.path == "/health" else GREETING
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print("web: " + fmt % args, flush=True)


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
server = HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
print(f"web: listening on 127.0.0.1:{server.server_port}", flush=True)
server.serve_forever()
