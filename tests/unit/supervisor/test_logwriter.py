"""The log writer's rules without a process: the line stamp, size rotation, generation names, merging."""

from __future__ import annotations

import calendar
import os
import time

from devctl.supervisor import logfiles, logs
from devctl.supervisor.logwriter import StreamWriter


def test_stamp_is_fixed_width_utc_rfc3339_with_microseconds():
    t = calendar.timegm((2026, 12, 1, 12, 58, 16, 0, 0, 0)) + 0.1234564
    assert logfiles.format_ts(t) == "2026-12-01T12:58:16.123456Z "
    assert logfiles.format_ts(t - 0.1234564 + 0.9999996) == "2026-12-01T12:58:17.000000Z "  # carry
    assert len(logfiles.format_ts(time.time())) == logfiles.TS_WIDTH
    stamped = logfiles.format_ts(t) + "hello"
    assert logfiles.line_time(stamped) == logfiles.format_ts(t)
    assert logfiles.line_time("hello") is None
    assert logfiles.line_time("2026-12-01 12:58:16 hello") is None


def test_writer_stamps_each_line_once_at_its_first_byte(tmp_path):
    times = iter([1.0, 2.0, 3.0, 4.0])
    w = StreamWriter(tmp_path / "s.log", timestamps=True, clock=lambda: next(times))
    w.feed(b"one\ntw")  # t=1: "one" and the start of "two"
    w.feed(b"o\nthree\n")  # t=2: the rest of "two" is not stamped again; "three" starts at t=2
    w.feed(b"\n")  # t=3: an empty line
    w.close()
    s1, s2, s3 = (logfiles.format_ts(t) for t in (1.0, 2.0, 3.0))
    assert (tmp_path / "s.log").read_text() == f"{s1}one\n{s1}two\n{s2}three\n{s3}\n"


def test_shift_names_generations_and_honours_keep(tmp_path):
    log = tmp_path / "s.stdout.log"
    for i in range(5):
        log.write_text(f"run {i}\n")
        logfiles.shift(log, keep=3)
    assert not log.exists()
    assert [logfiles.generation(log, n).read_text() for n in (1, 2, 3)] == ["run 4\n", "run 3\n", "run 2\n"]
    assert not logfiles.generation(log, 4).exists()
    logfiles.shift(log, keep=1)  # a smaller keep later: the stale generations go too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.stdout.log.1"]
    assert logfiles.generation(log, 0) == log


def _generations(log):
    n, found = 0, []
    while logfiles.generation(log, n).exists():
        found.append(logfiles.generation(log, n).read_bytes())
        n += 1
    return found[::-1]  # oldest first


def test_rotation_ends_files_at_line_boundaries_and_loses_nothing(tmp_path):
    log = tmp_path / "s.log"
    w = StreamWriter(log, max_size=1024, keep=100)
    written = b"".join(b"line %05d %s\n" % (i, b"x" * (i % 50)) for i in range(2000))
    for start in range(0, len(written), 777):  # reads do not follow line ends
        w.feed(written[start:start + 777])
    w.close()
    files = _generations(log)
    assert b"".join(files) == written
    assert len(files) > 50
    for body in files:  # a line begun before the limit ends in the same file
        assert len(body) <= 1024 + 62 and body.endswith(b"\n")


def test_keep_bounds_the_files_on_disk(tmp_path):
    log = tmp_path / "s.log"
    w = StreamWriter(log, max_size=1024, keep=2)
    for i in range(1000):
        w.feed(b"%04d %s\n" % (i, b"y" * 60))
    w.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.log", "s.log.1", "s.log.2"]
    assert _generations(log)[-1].endswith(b"0999 " + b"y" * 60 + b"\n")


def test_a_line_longer_than_max_size_is_split_and_the_next_starts_a_file(tmp_path):
    log = tmp_path / "s.log"
    w = StreamWriter(log, max_size=1024, keep=10)
    w.feed(b"short\n")
    w.feed(b"z" * 3000 + b"\n")
    w.feed(b"after\n")
    w.close()
    files = _generations(log)
    assert files[0] == b"short\n"  # the long line did not fit after it: a new file
    # cut at the limit in a fresh file; the next file finishes it (under 2 x the limit)
    assert [len(f) for f in files[1:]] == [1024, 1977, 6]
    assert b"".join(files) == b"short\n" + b"z" * 3000 + b"\n" + b"after\n"


def test_a_writer_whose_file_a_restart_moved_keeps_writing_it(tmp_path):
    log = tmp_path / "s.log"
    w = StreamWriter(log, max_size=1024, keep=3)
    w.feed(b"a" * 1000 + b"\n")
    logfiles.shift(log, 3)  # the next run's spawn rotates...
    log.write_bytes(b"")  # ...and creates the new file
    late = b"late line of the old run\n" * 10
    w.feed(late)
    w.close()
    assert log.read_bytes() == b""
    assert logfiles.generation(log, 1).read_bytes() == b"a" * 1000 + b"\n" + late


def test_merge_by_time_interleaves_and_keeps_ties_in_source_order():
    ts = [logfiles.format_ts(1000.0 + i) for i in range(4)]
    web = [ts[0] + "web 0", ts[2] + "web 2"]
    db = [ts[1] + "db 1", ts[2] + "db 2", ts[3] + "db 3"]
    assert logs.all_stamped([web, db, []])
    assert logs.merge_by_time([("web", web), ("db", db)]) == [
        ("web", web[0]), ("db", db[0]), ("web", web[1]), ("db", db[1]), ("db", db[2])]
    assert not logs.all_stamped([web, ["plain"]])
    assert not logs.all_stamped([[], []])


def test_tail_generations_fills_in_from_older_files(tmp_path):
    log = tmp_path / "s.log"
    w = StreamWriter(log, max_size=1024, keep=2)
    for i in range(1000):  # 5 bytes a line: 204 lines a file; .2, .1 and the current file stay
        w.feed(b"%04d\n" % i)
    w.close()
    lines = [f"{i:04d}" for i in range(1000)]
    assert logs.tail_generations(log, 10_000) == lines[408:]
    assert logs.tail_generations(log, 250) == lines[-250:]
    assert logs.tail_lines(log, 250) == lines[816:]  # one file only (what `up` shows of a failure)
    os.unlink(log)  # a service that has not started again yet: its old files still count
    assert logs.tail_generations(log, 2) == ["0814", "0815"]


def test_following_crosses_size_rotations_without_losing_a_line(tmp_path):
    log = tmp_path / "s.log"
    w = StreamWriter(log, timestamps=True, max_size=1024, keep=2)
    src = logs._Source("s", log)
    src.open(at_end=False)
    seen: list[str] = []
    for i in range(400):  # about 30 rotations; the follower polls between writes, as every 100 ms
        w.feed(b"line %d\n" % i)
        seen += src.poll()
    w.close()
    seen += src.poll()
    src.close()
    assert [line[logfiles.TS_WIDTH:] for line in seen] == [f"line {i}" for i in range(400)]
