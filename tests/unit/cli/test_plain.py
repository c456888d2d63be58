"""devctl.cli.plain writes what rich wrote for the same input: checked against rich itself."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from devctl.cli import output, plain

TEXTS = [
    "GET http://127.0.0.1:38211/healthz/ready answered 503 Service Unavailable",
    "/repo/.devctl/logs/payments-reconciliation-worker.stdout.log",
    "a  b   c",
    "  leading spaces then words",
    "exactlyten",
    "two\nlines here",
    "",
]


@pytest.mark.parametrize("width", [1, 3, 7, 10, 11, 13, 40])
@pytest.mark.parametrize("text", TEXTS)
def test_wrap_breaks_where_rich_folds(text, width):
    want = [line.plain.rstrip() for line in Text(text).wrap(Console(width=200), width, overflow="fold")]
    assert plain.wrap(text, width) == want


@pytest.mark.parametrize(("widths", "wrapable", "room"), [
    ([31, 9, 9, 8, 10, 76, 62], [False] * 5 + [True, True], 70),
    ([31, 9, 9, 8, 10, 76, 62], [False] * 5 + [True, True], 95),
    ([10, 30, 30, 5], [False, True, True, False], 50),
    ([10, 30, 29, 5], [False, True, True, True], 20),
    ([10, 5], [True, False], 100),
])
def test_collapse_shrinks_as_rich_does(widths, wrapable, room):
    assert plain.collapse(widths, wrapable, room) == Table._collapse_widths(widths, wrapable, room)


def _rich(markup: str, style: str | None = None, *, colour: bool) -> str:
    console = Console(file=io.StringIO(), force_terminal=colour, color_system="standard" if colour else None,
                      highlight=False, soft_wrap=True)
    console.print(markup, style=style)
    return console.file.getvalue()


@pytest.mark.parametrize("colour", [True, False])
def test_messages_read_as_rich_printed_them(monkeypatch, capsys, colour):
    from rich.markup import escape

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("FORCE_COLOR", "1" if colour else "")
    message = "bad [value] in\tplugins[0].path\r: x\x07"
    output.error(message, ["first detail", "second [detail]"])
    output.warn(message)
    output.info(message)
    want = (_rich(f"[bold red]error:[/bold red] {escape(message)}", colour=colour)
            + _rich("  first detail", "dim", colour=colour)
            + _rich("  second \\[detail]", "dim", colour=colour)
            + _rich(f"[yellow]warning:[/yellow] {escape(message)}", colour=colour)
            + _rich(escape(message), colour=colour))
    assert capsys.readouterr().err == want


def test_terminal_and_style_rules(monkeypatch):
    stream = io.StringIO()  # not a tty
    for name in ("TTY_COMPATIBLE", "FORCE_COLOR", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert not plain.is_terminal(stream) and not plain.styled(stream)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert plain.is_terminal(stream) and plain.styled(stream)
    monkeypatch.setenv("TTY_COMPATIBLE", "0")  # wins over FORCE_COLOR, as in rich
    assert not plain.is_terminal(stream)
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    assert plain.is_terminal(stream) and not plain.styled(stream)
    monkeypatch.setenv("NO_COLOR", "")
    monkeypatch.setenv("TERM", "dumb")
    assert not plain.styled(stream)


def test_width_follows_columns_like_rich(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setenv("COLUMNS", "57")
    assert plain.width() == Console().width == 57
