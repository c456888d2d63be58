"""Fixture service: its log hits a file-size limit (a full disk quota, simulated with RLIMIT_FSIZE).

Usage: fill_log.py LIMIT_BYTES NOTEFILE [--ignore]
Writes numbered lines to stdout (a log file opened by the supervisor) until the kernel refuses.
Default: SIGXFSZ kills the process, as it kills a C program (CPython ignores SIGXFSZ at start-up,
so it is reset to the default here). --ignore: SIGXFSZ is
ignored, writes fail with EFBIG, the service writes "stopped at line N: <error>" to NOTEFILE
(small, so under the limit) and keeps running.
"""

import os
import resource
import signal
import sys
import time

limit, note = int(sys.argv[1]), sys.argv[2]
signal.signal(signal.SIGXFSZ, signal.SIG_IGN if "--ignore" in sys.argv else signal.SIG_DFL)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
i = 0
try:
    while True:
        i += 1
        os.write(1, f"line {i}\n".encode())
except OSError as exc:
    with open(note, "w") as fh:
        fh.write(f"stopped at line {i}: {exc.strerror}\n")
while True:
    time.sleep(3600)
