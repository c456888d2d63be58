"""Fixtures shared by the CLI unit tests."""

from __future__ import annotations

import pytest

from devctl.cli import output


@pytest.fixture
def consoles(request, monkeypatch, capsys):
    """Fresh rich consoles without colour, `CONSOLE_COLUMNS` wide (a test module may set it;
    120 otherwise), so rendered text compares as plain strings; capsys to read them."""
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", str(getattr(request.module, "CONSOLE_COLUMNS", 120)))
    output.out.cache_clear()
    output.err.cache_clear()
    yield capsys
    output.out.cache_clear()
    output.err.cache_clear()
