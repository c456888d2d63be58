"""The two ports of this example (redis, web), chosen by the OS once and then kept.

devctl runs `config.mutate` before every command, so the ports must come out the same each
time while the stack is up: `devctl db-reset` has to reach the Redis that `devctl up`
started. They are picked with port 0 (the OS chooses a free one), saved in .data/ports.json,
and reused as long as they are still ours (Redis answers there) or free again.
"""

import json
import os
import socket

from resp import ping

EXAMPLE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(EXAMPLE, ".data")
PORTS_FILE = os.path.join(DATA_DIR, "ports.json")


def saved():
    """{"redis": int, "web": int} from .data/ports.json, or None."""
    try:
        with open(PORTS_FILE) as fh:
            ports = json.load(fh)
    except (OSError, ValueError):
        return None
    if isinstance(ports, dict) and all(isinstance(ports.get(k), int) for k in ("redis", "web")):
        return {"redis": ports["redis"], "web": ports["web"]}
    return None


def _free(port):
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _fresh():
    # Hold both sockets at once so the OS gives two different ports.
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        return {"redis": a.getsockname()[1], "web": b.getsockname()[1]}


def choose(write=True):
    """The ports to use now (saved ones when still usable, else fresh ones, then saved)."""
    ports = saved()
    if ports and (ping(ports["redis"]) or (_free(ports["redis"]) and _free(ports["web"]))):
        return ports
    ports = _fresh()
    if write:
        os.makedirs(DATA_DIR, exist_ok=True)
        tmp = PORTS_FILE + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(ports, fh)
        os.replace(tmp, PORTS_FILE)
    return ports
