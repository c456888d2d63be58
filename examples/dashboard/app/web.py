"""The example's web app: /health, and / with how many requests it served."""

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import write_web  # noqa: E402

served = 0


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        global served
        served += 1
        body = json.dumps({"ok": True, "served": served} if self.path != "/health" else {"ok": True})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, fmt, *args):
        print(f"web: {self.command} {self.path} -> 200 (request {served})", flush=True)


server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("WEB_PORT", "0"))), Handler)
# SystemExit out of serve_forever; server.shutdown() here would wait for the very loop the
# handler interrupts (a deadlock that only SIGKILL ended).
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
port = server.server_address[1]
write_web(port, os.getpid())
print(f"web: listening on http://127.0.0.1:{port}", flush=True)
server.serve_forever()
