"""The one read loop: lines across chunk borders, the 1 MiB cap, the unterminated tail, stop."""

from __future__ import annotations

import io

import anyio
import pytest

from devctl.procs.lines import LineReader
from devctl.protocol.ndjson import LineTooLong


class Chunks:
    """A byte source that returns the given chunks, then EOF (sync `read`, async `receive`)."""

    def __init__(self, *chunks: bytes):
        self.chunks = list(chunks)

    def read(self, _size: int) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""

    async def receive(self, _size: int) -> bytes:
        if not self.chunks:
            raise anyio.EndOfStream
        return self.chunks.pop(0)


def test_sync_lines_across_chunks_and_the_tail() -> None:
    reader = LineReader()
    got = list(reader.lines(Chunks(b'{"a":1}\n{"b"', b':2}\r\n{"c"').read))
    assert got == [b'{"a":1}', b'{"b":2}']
    assert reader.tail == b'{"c"'


def test_sync_lines_from_a_file_without_tail() -> None:
    reader = LineReader()
    assert list(reader.lines(io.BytesIO(b"x\ny\n").read)) == [b"x", b"y"]
    assert reader.tail is None


def test_a_line_past_the_cap_is_refused_before_its_newline() -> None:
    reader = LineReader(max_len=10)
    with pytest.raises(LineTooLong):
        list(reader.lines(Chunks(b"0123456789AB").read))


def test_pump_hands_every_line_on_and_sets_the_tail_at_eof() -> None:
    got: list[bytes] = []
    reader = LineReader()
    at_eof = anyio.run(reader.pump, Chunks(b"a\nb", b"\nc").receive, got.append)
    assert at_eof and got == [b"a", b"b"] and reader.tail == b"c"


def test_pump_stops_when_told() -> None:
    got: list[bytes] = []
    reader = LineReader()
    at_eof = anyio.run(reader.pump, Chunks(b"a\nb\nc\n").receive, got.append, lambda: bool(got))
    assert not at_eof and got == [b"a"] and reader.tail is None


def test_pump_refuses_a_line_past_the_cap() -> None:
    reader = LineReader(max_len=4)
    with pytest.raises(LineTooLong):
        anyio.run(reader.pump, Chunks(b"abcdef").receive, lambda _line: None)


def test_feed_is_the_splitter_for_a_loop_that_reads_by_itself():
    """The supervisor's socket reads on `procs.tasks` and hands each chunk to `feed`."""
    reader = LineReader()
    assert reader.feed(b'{"a": 1}\n{"b"') == [b'{"a": 1}']
    assert reader.feed(b': 2}\nhalf') == [b'{"b": 2}']
    assert reader.tail is None
    assert reader.feed(b"") == [] and reader.tail == b"half"
