"""Bounded capture: the head of a reply, the tail of stderr, overflow noticed once, tee sees all."""

from __future__ import annotations

import io

from devctl.procs.bounded import Capture


def capture(data: bytes, cap: int, keep: str, **kw) -> Capture:
    thread = Capture(io.BytesIO(data), cap, keep, **kw)  # type: ignore[arg-type]
    thread.run()  # in this thread: the pipe is a buffer
    return thread


def test_head_keeps_the_start_and_reports_overflow_once() -> None:
    hits: list[int] = []
    got = capture(b"x" * 100_000 + b"END", 10, "head", on_overflow=lambda: hits.append(1))
    assert bytes(got.buf) == b"x" * 10 and got.overflow and hits == [1]


def test_tail_keeps_the_end() -> None:
    got = capture(b"a" * 70_000 + b"the end", 7, "tail")
    assert bytes(got.buf) == b"the end" and got.overflow


def test_under_the_cap_nothing_is_cut_and_tee_sees_every_byte() -> None:
    seen = bytearray()
    got = capture(b"hello", 10, "head", tee=seen.extend)
    assert bytes(got.buf) == b"hello" and not got.overflow and bytes(seen) == b"hello"
