"""The fullstack web app: a small key-value API in front of Redis (standard library only).

  GET  /health     200 when Redis answers PING, 503 otherwise (devctl's health check)
  GET  /           counts visits in Redis: {"visits": N, "keys": N}
  GET  /kv/KEY     {"key": KEY, "value": VALUE}, or 404
  PUT  /kv/KEY     stores the request body as the value
"""

import contextlib
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from resp import Redis, RedisError

PORT = int(os.environ["PORT"])
REDIS_PORT = int(os.environ["REDIS_PORT"])


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            with Redis(REDIS_PORT) as r:
                if self.path == "/health":
                    pong = r.command("PING") == "PONG"
                    return self.reply(200 if pong else 503, {"ok": pong})
                if self.path == "/":
                    visits = r.command("INCR", "fullstack:visits")
                    return self.reply(200, {"visits": visits, "keys": r.command("DBSIZE")})
                if self.path.startswith("/kv/"):
                    key = self.path[len("/kv/"):]
                    value = r.command("GET", key)
                    if value is None:
                        return self.reply(404, {"error": f"no key {key!r}"})
                    return self.reply(200, {"key": key, "value": value})
        except RedisError as exc:
            return self.reply(503, {"ok": False, "error": str(exc)})
        self.reply(404, {"error": "not found"})

    def do_PUT(self):
        if not self.path.startswith("/kv/") or len(self.path) == len("/kv/"):
            return self.reply(404, {"error": "PUT /kv/KEY"})
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            with Redis(REDIS_PORT) as r:
                r.command("SET", self.path[len("/kv/"):], body)
        except RedisError as exc:
            return self.reply(503, {"ok": False, "error": str(exc)})
        self.reply(200, {"ok": True})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        if self.path != "/health":  # devctl probes it often; keep the log for real requests
            print("web:", fmt % args, flush=True)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    print(f"web: listening on http://127.0.0.1:{PORT} (redis on port {REDIS_PORT})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
