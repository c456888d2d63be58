"""The snapshot helpers themselves: masking keeps the layout, a changed screen fails with a
diff, a missing snapshot says how to make one, and the update switch writes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui import screen


def test_mask_keeps_the_width_of_what_it_hides() -> None:
    text = "web  healthy  pid 4093  up 12.3 s\nflood running  pid 77    up 1.0 s\n"
    masked = screen.mask(text, r"(?<=pid )\d+", r"\d+\.\d s")
    assert masked == "web  healthy  pid ####  up ######\nflood running  pid ##    up #####\n"
    assert [len(line) for line in masked.splitlines()] == [len(line) for line in text.splitlines()]


def test_snapshots_compare_write_and_explain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(screen, "SNAPSHOTS", tmp_path)
    monkeypatch.delenv(screen.UPDATE_ENV, raising=False)
    with pytest.raises(AssertionError, match="no snapshot view.txt yet: run with DEVCTL_SNAPSHOT_UPDATE=1"):
        screen.assert_snapshot("a\nb\n", "view")

    monkeypatch.setenv(screen.UPDATE_ENV, "1")
    screen.assert_snapshot("a\nb\n", "view")
    assert (tmp_path / "view.txt").read_text() == "a\nb\n"

    monkeypatch.delenv(screen.UPDATE_ENV)
    screen.assert_snapshot("a\nb\n", "view")
    with pytest.raises(AssertionError) as failed:
        screen.assert_snapshot("a\nc\n", "view")
    assert "-b\n+c\n" in str(failed.value)
