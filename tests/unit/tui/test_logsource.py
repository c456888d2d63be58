"""Windowed reads of log chains (devctl/tui/logsource.py): by position, across generations, never
the whole file."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest

from devctl.procs.tails import CUT_MARK
from devctl.supervisor.logfiles import format_ts
from devctl.tui import logsource as ls
from devctl.tui.logsource import Chain, Pos, Window


def write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_text("\n".join(lines) + (end if lines else ""))
    return path


def texts(lines: list[ls.Line]) -> list[str]:
    return [x.text for x in lines]


@pytest.fixture
def chain_of(tmp_path):
    opened: list[Chain] = []

    def make(path: Path, **kw) -> Chain:
        c = Chain(path, **kw)
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.close()


def test_before_and_after_walk_a_file_by_position(tmp_path, chain_of, monkeypatch):
    monkeypatch.setattr(ls, "BLOCK", 64)  # many blocks for a small file: every block edge is crossed
    p = write(tmp_path / "a.stdout.log", [f"line {i}" for i in range(1, 101)])
    c = chain_of(p)
    tail, top = c.before(c.end(), 5)
    assert texts(tail) == [f"line {i}" for i in range(96, 101)]
    assert tail[-1].end == c.end() and top == tail[0].start
    older, top2 = c.before(top, 10)
    assert texts(older) == [f"line {i}" for i in range(86, 96)]
    # Walking back to the start: every line once, in order, then nothing more.
    seen, at = [], c.end()
    for _ in range(200):
        got, at = c.before(at, 7)
        if not got:
            break
        seen[:0] = texts(got)
    assert seen == [f"line {i}" for i in range(1, 101)] and at == Pos(0, 0)
    # And forward from any line start.
    fwd, reached = c.after(older[0].start, 3)
    assert texts(fwd) == ["line 86", "line 87", "line 88"] and reached == fwd[-1].end


def test_an_unterminated_last_line_waits_for_its_newline(tmp_path, chain_of):
    p = tmp_path / "a.stdout.log"
    p.write_text("one\ntwo\nthr")
    c = chain_of(p)
    assert ls.tail_start(c) == Pos(0, 8)
    got, reached = c.after(Pos(0, 0), 10)
    assert texts(got) == ["one", "two"] and reached == Pos(0, 8)
    got, _ = c.after(Pos(0, 0), 10, partial=True)
    assert texts(got) == ["one", "two", "thr"]


def test_a_chain_runs_through_the_generations_oldest_first(tmp_path, chain_of):
    base = tmp_path / "a.stdout.log"
    write(base.with_name(base.name + ".2"), ["run1 a", "run1 b"])
    (base.with_name(base.name + ".1")).write_text("run2 a\nrun2 unterminated")  # killed mid-line
    write(base, ["run3 a", "run3 b"])
    c = chain_of(base)
    assert len(c.segments) == 3
    every, at = [], c.end()
    for _ in range(20):
        got, at = c.before(at, 2)
        if not got:
            break
        every[:0] = texts(got)
    assert every == ["run1 a", "run1 b", "run2 a", "run2 unterminated", "run3 a", "run3 b"]
    fwd, _ = c.after(Pos(0, 0), 100)
    assert texts(fwd) == every


def test_long_lines_are_cut_and_never_held_whole(tmp_path, chain_of, monkeypatch):
    monkeypatch.setattr(ls, "BLOCK", 1024)
    p = tmp_path / "a.stdout.log"
    p.write_bytes(b"short\n" + b"x" * 50_000 + b"\nafter\n")
    c = chain_of(p, max_line=100)
    got, _ = c.before(c.end(), 3)
    assert texts(got) == ["short", "x" * 100 + CUT_MARK, "after"]
    fwd, _ = c.after(Pos(0, 0), 3)
    assert texts(fwd) == texts(got)
    assert fwd[1].end == got[1].end == Pos(0, 6 + 50_001)


def test_search_finds_matches_forward_and_backward_with_smartcase(tmp_path, chain_of, monkeypatch):
    monkeypatch.setattr(ls, "BLOCK", 256)
    lines = [f"{i} ok" for i in range(1000)]
    lines[10] = "10 Error: first"
    lines[500] = "500 error: middle"
    lines[990] = "990 ERROR last"
    c = chain_of(write(tmp_path / "a.stdout.log", lines))
    pat = ls.text_needle("error")  # lower case: any case
    first = ls.first_match([c], pat, [Pos(0, 0)])
    assert first is not None and first.text == "10 Error: first"
    nxt = ls.first_match([c], pat, [first.end])
    assert nxt is not None and nxt.text == "500 error: middle"
    prev = ls.last_match([c], pat, [nxt.start])
    assert prev == first
    assert ls.last_match([c], pat, [c.end()]).text == "990 ERROR last"
    exact = ls.text_needle("Error")  # an upper-case letter: case-sensitive
    assert ls.last_match([c], exact, [c.end()]).text == "10 Error: first"
    assert ls.first_match([c], ls.text_needle("nowhere"), [Pos(0, 0)]) is None
    assert ls.first_match([c], ls.ERRORS, [Pos(0, 0)]).text == "10 Error: first"
    assert pat.spans("10 Error: éerror") == [(3, 8), (11, 16)]
    assert [ls.ERRORS.matches(t) for t in ("0 errors", "no_error_here", "Traceback (most", "panic: x",
                                           "crashing with code 3", "connect failed", "fatality")] == [
        False, False, True, True, True, True, False]


def test_filter_reads_only_matching_lines_within_a_budget(tmp_path, chain_of, monkeypatch):
    monkeypatch.setattr(ls, "BLOCK", 128)
    lines = [f"{i} {'warn' if i % 100 == 0 else 'ok'}" for i in range(2000)]
    c = chain_of(write(tmp_path / "a.stdout.log", lines))
    pat = ls.text_needle("warn")
    got, reached = c.before(c.end(), 3, match=pat)
    assert texts(got) == ["1700 warn", "1800 warn", "1900 warn"] and reached == got[0].start
    # A budget smaller than the gap between matches: nothing yet, but it moved on (progress).
    got, reached = c.before(got[0].start, 3, match=pat, budget=128)
    assert got == [] and reached < Pos(0, c.size(0)) and reached > Pos(0, 0)
    fwd, _ = c.after(Pos(0, 0), 2, match=pat)
    assert texts(fwd) == ["0 warn", "100 warn"]


def test_merge_by_time_when_stamped_else_stream_by_stream(tmp_path, chain_of):
    t = 1_800_000_000.0
    out = write(tmp_path / "a.stdout.log", [format_ts(t + k) + f"out {k}" for k in (0, 2, 4)])
    err = write(tmp_path / "a.stderr.log", [format_ts(t + k) + f"err {k}" for k in (1, 3)])
    w = Window([chain_of(out), chain_of(err)])
    assert w.apply(w.read_older(100))
    assert [x.text[28:] for x in w.lines] == ["out 0", "err 1", "out 2", "err 3", "out 4"]
    plain = Window([chain_of(write(tmp_path / "b.stdout.log", ["o1", "o2"])),
                    chain_of(write(tmp_path / "b.stderr.log", ["e1"]))])
    plain.apply(plain.read_older(100))
    assert texts(plain.lines) == ["o1", "o2", "e1"]  # what `devctl logs` prints


def test_window_scrolls_up_caps_itself_and_comes_back_to_the_end(tmp_path, chain_of):
    p = write(tmp_path / "a.stdout.log", [f"line {i}" for i in range(1, 1001)])
    w = Window([chain_of(p)], cap=50)
    w.apply(w.read_older(20))
    assert texts(w.lines)[-1] == "line 1000" and w.at_end
    for _ in range(5):
        w.apply(w.read_older(20))
    assert len(w.lines) == 50 and texts(w.lines)[0] == "line 881" and not w.at_end
    got = w.read_newer(10)
    assert texts(got.lines) == [f"line {i}" for i in range(931, 941)]
    stale = w.read_newer(10)
    w.apply(got)
    assert not w.apply(stale)  # began before the last change: dropped, no line twice
    for _ in range(20):
        w.apply(w.read_newer(10))
    assert w.at_end and texts(w.lines)[-1] == "line 1000" and len(w.lines) == 50
    assert not w.at_start()


def test_following_sees_appends_a_rotation_and_a_truncation(tmp_path, chain_of):
    p = write(tmp_path / "a.stdout.log", ["old 1", "old 2"])
    w = Window([chain_of(p)])
    w.apply(w.read_older(10))
    assert not w.moved()  # what an idle follower checks before reading
    with open(p, "a") as fh:
        fh.write("new 3\nhalf")
    assert w.moved()
    w.apply(w.read_newer(100))
    assert texts(w.lines) == ["old 1", "old 2", "new 3"]
    # A restart: the file moves to .1 (its unterminated line is its last), a new one starts.
    os.replace(p, p.with_name(p.name + ".1"))
    write(p, ["run2 1"])
    assert w.moved()
    w.apply(w.read_newer(100))
    assert texts(w.lines)[-2:] == ["half", "run2 1"]
    # `: > file` then new lines: read from its start again.
    p.write_text("")
    w.apply(w.read_newer(100))
    write(p, ["after truncate"])
    w.apply(w.read_newer(100))
    assert texts(w.lines)[-1] == "after truncate" and w.at_end


def test_a_stream_that_appears_later_is_followed(tmp_path, chain_of):
    p = tmp_path / "late.stdout.log"
    w = Window([chain_of(p)])
    w.apply(w.read_older(10))
    assert w.lines == [] and not w.moved()
    write(p, ["hello"])
    assert w.moved()
    w.apply(w.read_newer(10))
    assert texts(w.lines) == ["hello"]


def test_filter_window_and_jump_around_a_match(tmp_path, chain_of):
    lines = [f"{i} {'boom' if i in (5, 95) else 'fine'}" for i in range(100)]
    c = chain_of(write(tmp_path / "a.stdout.log", lines))
    w = Window([c], match=ls.text_needle("boom"))
    w.apply(w.read_older(10))
    assert texts(w.lines) == ["5 boom", "95 boom"] and w.at_start()
    w.reset()
    hit = ls.first_match([c], ls.text_needle("boom"), [Pos(0, 0)])
    assert w.apply(w.read_around(hit, 3))
    assert texts(w.lines) == ["2 fine", "3 fine", "4 fine", "5 boom", "6 fine", "7 fine", "8 fine"]
    assert not w.at_end
    w.apply(w.read_older(2))
    assert texts(w.lines)[:2] == ["0 fine", "1 fine"]


def test_a_1gb_file_opens_without_reading_it(tmp_path, chain_of):
    """A sparse 1 GiB file (no disk used) with real lines at its end: opening it and showing a
    screen reads a few blocks. The figures go to the report (no wall-clock assertion); what is
    asserted is that memory does not grow with the file."""
    p = tmp_path / "big.stdout.log"
    with open(p, "wb") as fh:
        fh.write(b"first line\n")
        fh.truncate(1 << 30)
        fh.seek(1 << 30)
        fh.write(b"".join(b"line %d\n" % i for i in range(100)))
    try:
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        w = Window([chain_of(p)])
        w.apply(w.read_older(60))
        took = time.perf_counter() - t0
        grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
        print(f"open 1 GiB + first screen: {took * 1000:.1f} ms, max RSS grew {grown_kib} KiB")
        assert texts(w.lines)[-1] == "line 99" and len(w.lines) == 60
        assert grown_kib < 64 * 1024  # far below the file's size: it was not loaded
        hit = ls.first_match(w.chains, ls.text_needle("first line"), [Pos(0, 0)])
        assert hit is not None and hit.start == Pos(0, 0)
    finally:
        p.unlink()


def test_a_generation_deleted_by_rotation_is_let_go(tmp_path, chain_of):
    """`logfiles.shift` deletes the oldest generation: the chain must not keep its disk space."""
    from devctl.supervisor.logfiles import shift

    p = write(tmp_path / "a.stdout.log", ["gen A"])
    write(p.with_name(p.name + ".1"), ["gen B"])
    w = Window([chain_of(p)])
    w.apply(w.read_older(10))
    assert texts(w.lines) == ["gen B", "gen A"]
    shift(p, keep=1)  # .1 (gen B) deleted, .log (gen A) -> .1
    write(p, ["gen C"])
    w.apply(w.read_newer(10))
    c = w.chains[0]
    assert texts(w.lines) == ["gen B", "gen A", "gen C"]  # what was shown stays
    assert c.segments[0].fd == -1 and c.segments[1].fd >= 0 and c.size(0) == 0
    assert texts(c.before(c.end(), 10)[0]) == ["gen A", "gen C"]  # nothing above what is on disk
    c.close()
    assert c.read_at(1, 10, 0) == b"" and c.size(2) == 0  # a late reader reads nothing


def test_seek_time_finds_a_moment_by_binary_search(tmp_path, chain_of, monkeypatch):
    monkeypatch.setattr(ls, "BLOCK", 256)
    t = 1_800_000_000.0
    p = tmp_path / "a.stdout.log"
    write(p.with_name(p.name + ".1"), [format_ts(t + k) + f"old {k}" for k in range(0, 2000, 2)])
    # The new file starts with the rest of a line split by a size rotation (no stamp).
    write(p, ["rest of a split line"] + [format_ts(t + k) + f"new {k}" for k in range(2000, 4000, 2)])
    c = chain_of(p)
    reads = []
    real = c.read_at
    monkeypatch.setattr(c, "read_at", lambda *a: reads.append(a) or real(*a))

    def at(k: float, after_equal: bool = False) -> str:
        got, _ = c.after(c.seek_time(format_ts(t + k)[:28], after_equal), 1, partial=True)
        return got[0].text[28:] if got else "end"

    assert at(-5) == "old 0"
    assert at(501) == "old 502" and at(502) == "old 502" and at(502, after_equal=True) == "old 504"
    assert at(1999) == "new 2000"  # past the old file's end: the new one's first stamped line
    assert at(3333) == "new 3334"
    assert at(9999) == "end"
    assert len(reads) < 600  # a binary search, not a scan of ~2000 lines × reads each


def test_a_jump_in_streams_merged_by_time_shows_every_stream_at_that_moment(tmp_path, chain_of):
    t = 1_800_000_000.0
    api = write(tmp_path / "api.stdout.log", [format_ts(t + k) + f"api {k}" for k in range(0, 1000, 2)])
    web = write(tmp_path / "web.stdout.log", [format_ts(t + k) + f"web {k}" for k in range(1, 1000, 2)])
    w = Window([chain_of(api), chain_of(web)])
    w.apply(w.read_older(50))
    assert w.by_time
    hit = ls.first_match(w.chains, ls.text_needle("web 501"), [Pos(0, 0), Pos(0, 0)])
    assert hit is not None
    assert w.apply(w.read_around(hit, 3))
    shown = [x.text[28:] for x in w.lines]
    assert shown == ["api 498", "web 499", "api 500", "web 501", "api 502", "web 503", "api 504"]
    w.apply(w.read_older(2))
    w.apply(w.read_newer(2))
    shown = [x.text[28:] for x in w.lines]
    assert shown[:2] == ["api 496", "web 497"] and shown[-2:] == ["web 505", "api 506"]


def test_following_a_flood_stays_at_the_end_while_it_catches_up(tmp_path, chain_of):
    """A writer faster than one read: a batch leaves lines behind it, and the window must still
    count as following (it is, by reading on from `back`), or following would stop for good."""
    p = write(tmp_path / "a.stdout.log", ["start"])
    w = Window([chain_of(p)])
    w.apply(w.read_older(10))
    with open(p, "a") as fh:
        fh.write("".join(f"flood {i}\n" for i in range(25)))
    for _ in range(2):
        got = w.read_newer(10)  # a batch of 10 while 25 wait
        assert w.apply(got) and w.at_end
    w.apply(w.read_newer(10))
    assert texts(w.lines) == ["start"] + [f"flood {i}" for i in range(25)]
    # Scrolled away (the newest dropped by the cap), a read that reaches the end comes back to it.
    small = Window([chain_of(p)], cap=5)
    small.apply(small.read_older(5))
    small.apply(small.read_older(5))
    assert not small.at_end
    small.apply(small.read_newer(3))
    assert not small.at_end  # 3 lines, 3 asked: maybe more
    small.apply(small.read_newer(10))
    assert small.at_end and texts(small.lines)[-1] == "flood 24"
