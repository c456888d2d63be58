"""Listening ports from /proc: the table parser on fixed text, and this process's own socket."""

from __future__ import annotations

import os
import socket
import sys

import pytest

from devctl.procs.sockets import listen_table, listening_ports

TABLE = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 1000 0 4242 1 0 100 0 0 10 0
   1: 0100007F:B801 0100007F:1F90 01 00000000:00000000 00:00000000 00000000 1000 0 4343 1 0 20 4 30 10 -1
   2: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 0:0 00:0 0 0 0 77 1
   3: garbage
"""


def test_listen_rows_only():
    assert listen_table(TABLE) == {4242: 8080, 77: 80}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_listening_socket_of_this_process_is_found():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        assert port not in listening_ports([os.getpid()]).get(os.getpid(), [])  # bound, not listening
        sock.listen(1)
        assert port in listening_ports([os.getpid()])[os.getpid()]
    assert listening_ports([2**22 + 1]) == {}  # no such pid: nothing, no error
