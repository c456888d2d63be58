"""stderr tails: lines split across chunks, cut when too long, kept last-N, callback errors contained."""

from __future__ import annotations

import io

from devctl.procs.tails import StderrTail, drain_sync


def test_stderr_tail_splits_forwards_and_keeps_the_last_lines():
    got: list[tuple[str, str]] = []
    tail = StderrTail("p", lambda pid, ln: got.append((pid, ln)), keep=3)
    tail.feed(b"one\ntw")
    tail.feed(b"o\r\nthree\nfour\nfi")
    tail.feed(b"\xff\n")
    tail.feed(b"unterminated")
    tail.flush()
    assert [ln for _, ln in got] == ["one", "two", "three", "four", "fi\ufffd", "unterminated"]
    assert all(pid == "p" for pid, _ in got)
    assert tail.tail() == ["four", "fi\ufffd", "unterminated"] and tail.tail(1) == ["unterminated"]


def test_stderr_long_line_is_cut_not_fatal():
    got: list[str] = []
    tail = StderrTail("p", lambda _p, ln: got.append(ln), max_line=10)
    tail.feed(b"a" * 25)
    tail.feed(b"b" * 5 + b"\nnext\n")
    assert got == ["a" * 10 + " …[line cut]", "next"]


def test_stderr_callback_errors_do_not_stop_the_drain():
    def boom(_p, _l):
        raise RuntimeError("display broke")

    tail = StderrTail("p", boom)
    tail.feed(b"x\ny\n")
    assert tail.tail() == ["x", "y"]


def test_blank_lines_can_be_skipped_and_a_sync_drain_flushes_the_last_line():
    tail = StderrTail(keep=10)
    drain_sync(io.BytesIO(b"one\n\n  \ntwo").read, tail)
    assert tail.tail() == ["one", "", "  ", "two"]
    assert tail.tail(5, skip_blank=True) == ["one", "two"]
    assert tail.tail(0) == []


def test_line_cutter_cuts_whole_and_partial_long_lines_and_stays_bounded():
    from devctl.procs.tails import CUT_MARK, LineCutter

    cut = LineCutter(max_line=10)
    mark = CUT_MARK.encode()
    assert cut.split(b"short\n" + b"a" * 25 + b"\nnext") == [b"short", b"a" * 10 + mark]
    assert cut.split(b" line\n") == [b"next line"]
    assert cut.split(b"b" * 8) == [] and cut.split(b"b" * 8) == [b"b" * 10 + mark]
    assert cut.split(b"b" * 1000) == []  # the rest of the cut line is skipped...
    assert cut.split(b"bb\nc") == [] and cut.flush() == b"c"  # ...up to its newline
    assert cut.flush() is None
