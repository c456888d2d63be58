"""The plugin host's blocking loop: fd callbacks, timers, deadlines, Ctrl-C deferred."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time

import pytest

from devctl.procs.reactor import Reactor, current, shielded


@pytest.fixture
def pipe():
    r, w = os.pipe()
    os.set_blocking(r, False)
    yield r, w
    for fd in (r, w):
        with contextlib.suppress(OSError):
            os.close(fd)


def test_timers_fire_in_time_order_and_a_cancelled_one_never():
    reactor = Reactor()
    fired: list[str] = []
    now = time.monotonic()
    reactor.call_at(now + 0.02, lambda: fired.append("second"))
    reactor.call_at(now, lambda: fired.append("first"))
    reactor.call_at(now + 0.01, lambda: fired.append("cancelled")).cancel()
    assert reactor.run_until(lambda: len(fired) == 2, now + 10)
    assert fired == ["first", "second"]


def test_run_until_gives_up_at_the_deadline():
    reactor = Reactor()
    reactor.call_later(60, lambda: None)  # something to wait for, far away
    assert reactor.run_until(lambda: False, time.monotonic() + 0.05) is False


def test_what_is_ready_at_the_deadline_is_still_read(pipe):
    """Data that arrived by the deadline counts, even when the waiter got the CPU only after it (a
    busy box): one last look at the pipes before giving up."""
    r, w = pipe
    reactor = Reactor()
    got = bytearray()
    reactor.add_reader(r, lambda: got.extend(os.read(r, 100)))
    os.write(w, b"handshake")
    assert reactor.run_until(lambda: bool(got), time.monotonic() - 1) is True
    assert reactor.run_until(lambda: len(got) > 9, time.monotonic() - 1) is False  # nothing more came


def test_run_until_refuses_to_wait_forever_on_nothing():
    with pytest.raises(RuntimeError, match="nothing left to wait for"):
        Reactor().run_until(lambda: False)


def test_a_reader_is_called_while_data_waits_and_can_remove_itself(pipe):
    r, w = pipe
    reactor = Reactor()
    got = bytearray()

    def readable() -> None:
        chunk = os.read(r, 4)
        if chunk:
            got.extend(chunk)
        else:
            reactor.remove_reader(r)

    reactor.add_reader(r, readable)
    os.write(w, b"hello world")
    assert reactor.run_until(lambda: bytes(got) == b"hello world", time.monotonic() + 10)
    os.close(w)
    assert reactor.run_until(lambda: r not in reactor._handlers, time.monotonic() + 10)


def test_reader_and_writer_on_one_fd_are_independent(pipe):
    r, w = pipe
    reactor = Reactor()
    calls: list[str] = []
    reactor.add_writer(w, lambda: (calls.append("w"), reactor.remove_writer(w)))
    reactor.add_reader(w, lambda: calls.append("r"))  # a pipe's write end never reads
    assert reactor.run_until(lambda: calls == ["w"], time.monotonic() + 10)
    assert w in reactor._handlers  # still registered for reading
    reactor.remove_reader(w)
    assert w not in reactor._handlers


def test_one_reactor_per_thread():
    seen: list[Reactor] = []
    thread = threading.Thread(target=lambda: seen.append(current()))
    thread.start()
    thread.join()
    assert current() is current() and seen[0] is not current()


def test_shielded_defers_ctrl_c_to_the_end_of_the_block():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    done: list[str] = []
    with pytest.raises(KeyboardInterrupt), shielded():
        os.kill(os.getpid(), signal.SIGINT)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not done:  # the handler ran, nothing was raised
            time.sleep(0.01)
            done.append("survived")
    assert done == ["survived"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
