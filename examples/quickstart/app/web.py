"""Quickstart web app: `/` shows the worker's latest tick, `/health` answers 200 when ready."""

import contextlib
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ["PORT"])
DATA_DIR = os.environ.get("DATA_DIR", ".data")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body = {"ok": True}
        else:
            try:
                with open(os.path.join(DATA_DIR, "tick.json")) as fh:
                    body = {"hello": "devctl", "worker": json.load(fh)}
            except (OSError, ValueError):
                body = {"hello": "devctl", "worker": None}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        print("web:", fmt % args, flush=True)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print(f"web: listening on http://127.0.0.1:{PORT}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
