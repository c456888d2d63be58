"""Which TCP ports have a listening socket on this machine, asked of the kernel in one request.

Why: a starting service is found ready by connecting to it, and a connect only says "not yet"
until the moment it says "yes". Probing every 25 ms leaves up to 25 ms between a port opening
and `up` noticing it; probing every 5 ms costs 200 connects a second per starting service, CPU
the starting services need (50 services: 10,000 a second on two cores). The kernel can answer
"which ports are listening" for every service at once: one netlink `sock_diag` dump (what
`ss -lt` uses) asks for the TCP sockets in state LISTEN only, IPv4 and IPv6, and costs tens of
microseconds whatever the number of services. The supervisor polls it while services start
and probes a service the moment its port shows up (`supervisor/listen_watch.py`); the probe
stays the judge, so a port listening on another address only costs one early probe.

Linux only. Where the request is refused (no netlink, a kernel without `inet_diag`, a seccomp
policy), `ListeningPorts.open()` returns None and the probes go on at their own pace.
(`procs/sockets.py` answers another question, for display: which ports a given process listens
on, from the `/proc` tables and the process's descriptors.)

The wire format (linux/netlink.h, linux/sock_diag.h, linux/inet_diag.h):

    nlmsghdr          u32 len, u16 type, u16 flags, u32 seq, u32 pid       (16 bytes)
    inet_diag_req_v2  u8 family, u8 protocol, u8 ext, u8 pad, u32 states,
                      inet_diag_sockid (48 bytes: be16 sport, be16 dport, …) (56 bytes)
    inet_diag_msg     u8 family, u8 state, u8 timer, u8 retrans, inet_diag_sockid, …

A reply is a run of messages, each padded to 4 bytes, ending with NLMSG_DONE (or NLMSG_ERROR).
"""

from __future__ import annotations

import os
import socket
import struct

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300  # NLM_F_ROOT | NLM_F_MATCH
NLMSG_ERROR = 2
NLMSG_DONE = 3
TCP_LISTEN = 10

_HEADER = struct.Struct("=IHHII")
_REQUEST = struct.Struct("=BBBBI48x")
#: Of a header: its length, type, flags and sequence number (the pid is not read).
_HEAD = struct.Struct("=IHHI")
#: In an inet_diag_msg: the state's byte, and the socket id's source port (big-endian, 2 bytes).
_STATE_AT = 1
_SPORT_AT = 4
_MESSAGE_MIN = 6
#: A dump of a machine's listening sockets fits in a few reads; more is a broken reply.
MAX_READS = 1000
RECV_BYTES = 65536
#: A dump is answered while the request is being read; this only bounds a kernel that does not.
TIMEOUT_S = 0.1


class ReplyError(Exception):
    """The reply is not a dump of sockets: the asker cannot be trusted any more."""


class Refused(ReplyError):
    """The kernel answered the request with an error (NLMSG_ERROR): that family cannot be dumped."""


def request(family: int, seq: int) -> bytes:
    """The dump request for the TCP sockets of `family` (AF_INET or AF_INET6) in state LISTEN."""
    body = _REQUEST.pack(family, socket.IPPROTO_TCP, 0, 0, 1 << TCP_LISTEN)
    return _HEADER.pack(_HEADER.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP,
                        seq, 0) + body


def parse_reply(buf: bytes, seq: int, ports: set[int]) -> bool:
    """Add the source port of every listening socket in `buf` (one read of the reply to request
    `seq`) to `ports`. True once the reply is complete (NLMSG_DONE). Messages of another
    request (one that timed out) are skipped. Raises Refused on NLMSG_ERROR, ReplyError on a
    message that does not fit."""
    # Dozens of messages per read, dozens of reads a second while services start: one unpack
    # and two byte reads per message (the state is filtered by the kernel already; checked anyway).
    offset, end, head, size = 0, len(buf), _HEAD.unpack_from, _HEADER.size
    while offset + size <= end:
        length, kind, _flags, msg_seq = head(buf, offset)
        if length < size or offset + length > end:
            raise ReplyError(f"a message of {length} bytes at {offset} of {end}")
        body = offset + size
        offset += (length + 3) & ~3
        if msg_seq != seq:
            continue
        if kind == SOCK_DIAG_BY_FAMILY:
            if length >= size + _MESSAGE_MIN and buf[body + _STATE_AT] == TCP_LISTEN:
                ports.add(buf[body + _SPORT_AT] << 8 | buf[body + _SPORT_AT + 1])
        elif kind == NLMSG_DONE:
            return True
        elif kind == NLMSG_ERROR:
            code = -struct.unpack_from("=i", buf, body)[0] if length >= size + 4 else 0
            raise Refused(os.strerror(code) if code > 0 else "an error without a code")
    return False


class ListeningPorts:
    """A netlink socket kept open for repeated questions (`ports`)."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._seq = 0
        self._families = [socket.AF_INET, socket.AF_INET6]

    @classmethod
    def open(cls) -> ListeningPorts | None:
        """A ready asker, or None where this machine will not answer (see the module docstring)."""
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG)
        except (OSError, AttributeError):  # no AF_NETLINK: not Linux
            return None
        sock.settimeout(TIMEOUT_S)
        asker = cls(sock)
        if asker.ports() is None:
            asker.close()
            return None
        return asker

    def ports(self) -> set[int] | None:
        """The ports of every listening TCP socket (IPv4 and IPv6, any address), or None once
        the kernel will not say (the asker is then closed). A family the kernel cannot dump
        (IPv6 disabled) is dropped and the other one still answers."""
        if not self._families:
            return None
        found: set[int] = set()
        for family in list(self._families):
            try:
                self._dump(family, found)
            except Refused:
                self._families.remove(family)
            except (ReplyError, OSError):
                self._families.clear()
            if not self._families:
                self.close()
                return None
        return found

    def _dump(self, family: int, found: set[int]) -> None:
        self._seq += 1
        self._sock.send(request(family, self._seq))
        for _ in range(MAX_READS):
            if parse_reply(self._sock.recv(RECV_BYTES), self._seq, found):
                return
        raise ReplyError(f"no end after {MAX_READS} reads")

    def close(self) -> None:
        self._families.clear()
        self._sock.close()
