"""NO_COLOR gives plain text on a terminal: no colour and no bold/dim escape codes."""

from __future__ import annotations

import pytest

from devctl.cli import output


@pytest.fixture
def fresh_consoles():
    output.out.cache_clear()
    output.err.cache_clear()
    yield
    output.out.cache_clear()
    output.err.cache_clear()


def _printed(monkeypatch, capsys, no_color: str | None) -> tuple[str, str]:
    monkeypatch.setenv("FORCE_COLOR", "1")  # behave as on a terminal
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    output.out().print("[bold]SERVICE[/bold] [green]healthy[/green]")
    output.error("boom")
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_no_color_writes_no_escape_codes(monkeypatch, capsys, fresh_consoles):
    stdout, stderr = _printed(monkeypatch, capsys, "1")
    assert "\x1b" not in stdout and "\x1b" not in stderr
    assert "SERVICE healthy" in stdout and "error: boom" in stderr


def test_styles_on_a_terminal_without_no_color(monkeypatch, capsys, fresh_consoles):
    stdout, stderr = _printed(monkeypatch, capsys, None)
    assert "\x1b[1m" in stdout and "\x1b[" in stderr


def test_empty_no_color_does_not_count(monkeypatch, capsys, fresh_consoles):
    stdout, _ = _printed(monkeypatch, capsys, "")
    assert "\x1b[1m" in stdout
