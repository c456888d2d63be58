"""Fixture service: a TCP listener on 127.0.0.1:PORT that accepts and closes connections.

Usage: tcp_listen.py PORT [--delay S] [--stamp]
--delay: a slow starter, binds after S seconds; --stamp: print the wall time listen() returned
(the benchmark compares it with the supervisor's "ready" event).
"""

import signal
import socket
import sys
import time

port = int(sys.argv[1])
delay = float(sys.argv[sys.argv.index("--delay") + 1]) if "--delay" in sys.argv else 0.0
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print(f"starting, binding in {delay} s", flush=True)
time.sleep(delay)
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", port))
sock.listen(64)
if "--stamp" in sys.argv:
    print(f"listening-at {time.time():.6f}", flush=True)
print(f"listening on 127.0.0.1:{port}", flush=True)
while True:
    conn, _ = sock.accept()
    conn.close()
