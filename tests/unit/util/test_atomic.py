"""The one atomic file write: content, modes, and what a failure leaves behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from devctl.util import atomic
from devctl.util.atomic import write_atomic


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_creates_a_new_file_with_the_default_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_atomic(target, "héllo\n")
    assert target.read_text(encoding="utf-8") == "héllo\n"
    assert _mode(target) == atomic.DEFAULT_MODE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_replaces_and_keeps_the_old_mode(tmp_path: Path) -> None:
    target = tmp_path / "run.sh"
    target.write_text("old")
    target.chmod(0o755)
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert _mode(target) == 0o755


def test_an_explicit_mode_wins(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")
    target.chmod(0o644)
    write_atomic(target, "{}", mode=0o600)
    assert _mode(target) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "bad \udcff surrogate")  # cannot be encoded: fails mid-write
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_failed_replace_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")

    def refuse(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_an_interrupt_also_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "cache.json"

    def interrupt(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new")
    assert list(tmp_path.iterdir()) == []


def test_the_data_is_synced_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    write_atomic(tmp_path / "f", "x")
    assert calls == ["fsync", "replace"]


def test_not_durable_skips_the_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fsync(fd: int) -> None:
        raise AssertionError("fsync called")

    monkeypatch.setattr(os, "fsync", no_fsync)
    write_atomic(tmp_path / "f", "x", durable=False)
    assert (tmp_path / "f").read_text() == "x"


def test_a_missing_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "nope" / "f", "x")


# ---- swap_in: the single writer's atomic write (state.json) ------------------------------


def test_swap_in_creates_then_replaces_with_the_exact_mode_and_no_temp_left(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    old_umask = os.umask(0o077)
    try:
        atomic.swap_in(target, b"one", mode=0o640)
    finally:
        os.umask(old_umask)
    assert target.read_bytes() == b"one" and _mode(target) == 0o640
    atomic.swap_in(target, b"two", mode=0o600)
    assert target.read_bytes() == b"two" and _mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_swap_in_a_reader_of_the_old_file_reads_it_whole(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    atomic.swap_in(target, b"old " * 10_000, mode=0o600)
    with open(target, "rb") as reader:
        first = reader.read(7)
        atomic.swap_in(target, b"new " * 10_000, mode=0o600)
        assert first + reader.read() == b"old " * 10_000
    assert target.read_bytes() == b"new " * 10_000


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="RENAME_EXCHANGE is Linux's")
def test_swap_in_exchanges_instead_of_renaming_over_the_old_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On Linux the new file is swapped in, not renamed over the old one (ext4 flushes on that)."""
    target = tmp_path / "state.json"
    atomic.swap_in(target, b"one", mode=0o600)

    def no_replace(src: object, dst: object) -> None:
        raise AssertionError("os.replace over an existing file")

    monkeypatch.setattr(os, "replace", no_replace)
    atomic.swap_in(target, b"two", mode=0o600)
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_swap_in_without_the_exchange_replaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "state.json"
    atomic.swap_in(target, b"one", mode=0o600)
    monkeypatch.setattr(atomic, "_renameat2", None)  # not Linux, or no renameat2 in the C library
    atomic.swap_in(target, b"two", mode=0o600)
    assert target.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_swap_in_never_truncates_a_leftover_temp_file(tmp_path: Path) -> None:
    """A writer killed between the swap and the unlink leaves the OLD state under the temp
    name; a reader may still be reading it: it is unlinked, never rewritten in place."""
    target = tmp_path / "state.json"
    leftover = tmp_path / ".state.json.tmp"
    leftover.write_bytes(b"old state")
    with open(leftover, "rb") as reader:
        atomic.swap_in(target, b"new state", mode=0o600)
        assert reader.read() == b"old state"
    assert target.read_bytes() == b"new state"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_swap_in_a_failed_write_leaves_the_old_file_and_no_temp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "state.json"
    atomic.swap_in(target, b"old", mode=0o600)

    def full(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError, match="No space"):
        atomic.swap_in(target, b"new", mode=0o600)
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
def test_the_temp_file_is_new_private_and_next_to_the_target(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A name already taken is never reused (O_EXCL: another name is drawn), the temp file is
    0600 until the final mode is set, and it lives in the target's directory (same filesystem)."""
    target = tmp_path / "state.json"
    taken = tmp_path / f".state.json.{os.getpid()}.00000000.tmp"
    taken.write_text("someone else's")
    draws = iter([b"\0\0\0\0", b"\0\0\0\1"])
    monkeypatch.setattr(os, "urandom", lambda n: next(draws))
    seen: list[tuple[str, int]] = []
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        seen.append((src, _mode(Path(src))))
        real_replace(src, dst)

    monkeypatch.setattr(os, "chmod", lambda p, m: None)  # so the mode seen is the temp file's own
    monkeypatch.setattr(os, "replace", replace)
    write_atomic(target, "new")
    assert seen == [(str(tmp_path / f".state.json.{os.getpid()}.00000001.tmp"), 0o600)]
    assert taken.read_text() == "someone else's"
    assert target.read_text() == "new"
