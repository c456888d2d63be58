"""Fixture service: says one line, closes its stdout and stderr, then keeps running.

A service that closes its output must not confuse the supervisor (it is not on the log path:
the files were handed over as fds 1 and 2) and must still be stoppable.
"""

import os
import time

print("closing my output", flush=True)
os.close(1)
os.close(2)
while True:
    time.sleep(3600)
