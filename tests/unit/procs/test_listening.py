"""`devctl.procs.listening`: the sock_diag request and reply, byte by byte, and one real question
to this machine's kernel (skipped where it will not answer)."""

from __future__ import annotations

import socket
import struct

import pytest

from devctl.procs import listening
from devctl.procs.listening import ListeningPorts, Refused, ReplyError, parse_reply, request

HEADER = struct.Struct("=IHHII")


def message(kind: int, seq: int, body: bytes) -> bytes:
    padded = body + bytes(-len(body) % 4)
    return HEADER.pack(HEADER.size + len(body), kind, 0x2, seq, 0) + padded


def socket_msg(port: int, state: int = listening.TCP_LISTEN, family: int = socket.AF_INET) -> bytes:
    """An inet_diag_msg: family, state, timer, retrans, the socket id (sport big-endian first),
    then expires, rqueue, wqueue, uid, inode."""
    sockid = struct.pack(">HH", port, 0) + bytes(44)
    return message(listening.SOCK_DIAG_BY_FAMILY, 7, struct.pack("=BBBB", family, state, 0, 0) + sockid
                   + bytes(20))


def done(seq: int = 7) -> bytes:
    return message(listening.NLMSG_DONE, seq, struct.pack("=i", 0))


def test_the_request_asks_for_tcp_sockets_in_state_listen_of_one_family():
    raw = request(socket.AF_INET6, 42)
    length, kind, flags, seq, pid = HEADER.unpack_from(raw)
    assert (length, kind, seq, pid) == (len(raw), 20, 42, 0) and len(raw) == 16 + 56
    assert flags == listening.NLM_F_REQUEST | listening.NLM_F_DUMP
    family, protocol, ext, _pad, states = struct.unpack_from("=BBBBI", raw, 16)
    assert (family, protocol, ext, states) == (socket.AF_INET6, socket.IPPROTO_TCP, 0, 1 << 10)
    assert raw[24:] == bytes(48)  # any socket id: the dump is not narrowed to one address


def test_a_reply_gives_the_listening_ports_and_says_when_it_is_complete():
    ports: set[int] = set()
    assert parse_reply(socket_msg(8080) + socket_msg(443, family=socket.AF_INET6), 7, ports) is False
    assert parse_reply(socket_msg(5432) + done(), 7, ports) is True
    assert ports == {8080, 443, 5432}


def test_sockets_in_other_states_and_messages_of_an_older_request_are_skipped():
    ports: set[int] = set()
    stale = message(listening.SOCK_DIAG_BY_FAMILY, 6, socket_msg(1111)[16:])
    assert parse_reply(stale + done(6) + socket_msg(2222, state=1) + socket_msg(3333) + done(), 7, ports)
    assert ports == {3333}


def test_an_error_reply_is_a_refusal_with_the_kernels_reason():
    err = message(listening.NLMSG_ERROR, 7, struct.pack("=i", -2) + bytes(16))
    with pytest.raises(Refused, match="No such file or directory"):
        parse_reply(err, 7, set())


def test_a_message_longer_than_the_read_is_a_broken_reply():
    cut = socket_msg(8080)[:40]
    with pytest.raises(ReplyError, match="bytes at 0"):
        parse_reply(HEADER.pack(200, 20, 0, 7, 0) + cut, 7, set())
    with pytest.raises(ReplyError):
        parse_reply(HEADER.pack(8, 20, 0, 7, 0) + bytes(8), 7, set())  # shorter than its header


class FakeSock:
    """Replies by family: bytes, or an exception to raise from recv."""

    def __init__(self, replies: dict[int, bytes | Exception]):
        self.replies = replies
        self.pending: bytes | Exception = b""
        self.closed = False

    def send(self, raw: bytes) -> None:
        family = raw[16]
        seq = HEADER.unpack_from(raw)[3]
        reply = self.replies[family]
        self.pending = reply if isinstance(reply, Exception) else reply.replace(
            struct.pack("=I", 7), struct.pack("=I", seq))  # (seq 7 in the canned bytes)

    def recv(self, _n: int) -> bytes:
        if isinstance(self.pending, Exception):
            raise self.pending
        out, self.pending = self.pending, b""
        return out

    def close(self) -> None:
        self.closed = True


def test_a_family_the_kernel_refuses_is_dropped_and_the_other_still_answers():
    refused = message(listening.NLMSG_ERROR, 7, struct.pack("=i", -97) + bytes(16))
    sock = FakeSock({socket.AF_INET: socket_msg(8000) + done(), socket.AF_INET6: refused})
    asker = ListeningPorts(sock)  # type: ignore[arg-type]
    assert asker.ports() == {8000}
    assert asker.ports() == {8000} and not sock.closed


def test_a_socket_error_closes_the_asker_for_good():
    sock = FakeSock({socket.AF_INET: TimeoutError("timed out"), socket.AF_INET6: done()})
    asker = ListeningPorts(sock)  # type: ignore[arg-type]
    assert asker.ports() is None and sock.closed
    assert asker.ports() is None


def test_this_machines_kernel_names_a_port_once_it_listens_and_not_after_it_closes():
    asker = ListeningPorts.open()
    if asker is None:
        pytest.skip("this kernel does not answer sock_diag requests (no netlink or no inet_diag)")
    try:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            assert port not in (asker.ports() or set())  # bound, not listening yet
            sock.listen()
            assert port in (asker.ports() or set())
        assert port not in (asker.ports() or set())
    finally:
        asker.close()
