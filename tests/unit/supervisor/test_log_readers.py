"""Every reader of service logs is linear and shows at most MAX_LINE bytes of a line (issue 12, item 8).

Before the fix `tail_lines` re-joined its buffer for every 64 KiB read backwards (40 MB without a
newline: 37 s) and showed a 100 MB line whole. The timing lives in bench/bench_logs.py; these
tests pin the behaviour that made it linear: a line longer than the cap comes out cut, with the
marker, from every reader, on a real file of a few MB without a newline.
"""

from __future__ import annotations

from pathlib import Path

from devctl.procs.tails import CUT_MARK, StderrTail
from devctl.supervisor import logs
from devctl.supervisor import up as up_core
from devctl.supervisor.paths import Paths

MB = 1024 * 1024
CUT = "x" * logs.MAX_LINE + CUT_MARK


def _long(path: Path, size: int = 4 * MB, tail: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size + tail)
    return path


def test_tail_of_a_file_without_newlines_is_one_cut_line(tmp_path):
    path = _long(tmp_path / "a.log")
    assert logs.tail_lines(path, 50) == [CUT]
    _long(path, tail=b"\nlast words\n")
    assert logs.tail_lines(path, 1) == ["last words"]
    assert logs.tail_lines(path, 5) == [CUT, "last words"]


def test_tail_keeps_short_lines_whole_and_counts_from_the_end(tmp_path):
    path = tmp_path / "b.log"
    path.write_bytes(b"a\n\nb\r\n" + b"y" * (logs.MAX_LINE + 1) + b"\nc")
    assert logs.tail_lines(path, 10) == ["a", "", "b\r", "y" * logs.MAX_LINE + CUT_MARK, "c"]
    path.write_bytes(b"\n")
    assert logs.tail_lines(path, 3) == [""]
    path.write_bytes(b"")
    assert logs.tail_lines(path, 3) == []


def test_every_line_and_following_cut_the_long_line_too(tmp_path):
    path = _long(tmp_path / "c.log", tail=b"\nshort\n")
    assert list(logs.all_lines(path)) == [CUT, "short"]
    src = logs._Source("c", path)
    src.open(at_end=False)
    seen = src.poll()
    # The file grows in small appends without a newline: the cut line is not shown again.
    with open(path, "ab") as fh:
        for _ in range(64):
            fh.write(b"z" * 65536)
            fh.flush()
            seen += src.poll()
        fh.write(b"\nafter\n")
    seen += src.poll()
    src.close()
    assert seen == [CUT, "short", "z" * logs.MAX_LINE + CUT_MARK, "after"]


def test_up_failure_shows_a_cut_last_line_of_a_huge_stderr(tmp_path):
    paths = Paths(tmp_path)
    _long(paths.log("api", "stderr"), tail=b"\nFATAL: bad config\n")
    record = {"name": "api", "state": "failed", "error": "exited with code 1"}
    message, details = up_core.failure(paths, record)
    assert message == "service 'api' failed to start: exited with code 1"
    assert details[-2:] == [CUT, "FATAL: bad config"]


def test_plugin_stderr_tail_cuts_a_line_fed_in_many_chunks():
    got: list[str] = []
    tail = StderrTail(on_line=lambda _s, line: got.append(line), max_line=1000)
    for _ in range(200):
        tail.feed(b"q" * 997)
    tail.feed(b"\nok\n")
    assert got == ["q" * 1000 + CUT_MARK, "ok"]


def test_the_supervisor_log_tail_cuts_too(tmp_path):
    from devctl.supervisor.daemon import _log_tail

    paths = Paths(tmp_path)
    _long(paths.daemon_log, tail=b"\nTraceback: boom\n")
    assert _log_tail(paths, 2) == [CUT, "Traceback: boom"]
    assert _log_tail(Paths(tmp_path / "nowhere")) == []
