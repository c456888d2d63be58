"""devctl.cli.plain writes what rich wrote for the same input: checked against rich itself."""

from __future__ import annotations

import io
import json

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


def _rich_boxed(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]], width: int) -> str:
    from devctl.cli.pipeline_run import _table

    table = _table(title, *columns)
    for row in rows:
        table.add_row(*(Text(c) for c in row))
    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False, soft_wrap=True)
    console.print(table)
    return console.file.getvalue()


def test_boxed_table_draws_what_rich_drew_or_leaves_it_to_rich():
    """200 random tables of `plan`'s, `build`'s and `artifacts`' shapes at widths from 40 to 200:
    every one `boxed_table` draws is rich's text to the character; the rest it declines (None)."""
    import random

    rng = random.Random(17)
    words = ["web", "python", "-m", "http.server", "8000", "127.0.0.1:8000", "db, cache", "-", ".", "ünï",
             "services/api", "a-very-long-service-name-indeed", "x" * 40, "two\nlines"]
    shapes = [("\nServices", ("Service", "Plugin", "Command:3", "Cwd:1", "Health:2", "Depends on:1")),
              ("Steps", ("Step", "Plugin", "Result:1", "Took", "Message:2")),
              ("Artifacts", ("Key", "Value:1"))]
    drawn = 0
    for _ in range(200):
        title, columns = rng.choice(shapes)
        rows = [tuple(" ".join(rng.choice(words) for _ in range(rng.randint(1, 4 if ":" in c else 1)))
                      for c in columns) for _ in range(rng.randint(0, 4))]
        width = rng.choice([40, 60, 80, 100, 133, 200])
        got = plain.boxed_table(title, [c.partition(":")[0] for c in columns],
                                [int(c.partition(":")[2] or 0) for c in columns], rows, width)
        if got is not None:
            drawn += 1
            want = _rich_boxed(title, columns, rows, width)
            assert "".join(line + "\n" for line in got) == want, (rows, width)
    assert drawn > 150  # the usual case is drawn here, not left to rich


def test_piped_plan_prints_what_rich_printed(monkeypatch, capsys):
    from types import SimpleNamespace

    from rich.json import JSON

    from devctl.cli.pipeline_run import render_plan
    from devctl.pipeline.health_spec import target_text

    monkeypatch.setenv("COLUMNS", "90")
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    config = {"name": "shop", "ports": [1, 2], "nested": {"é": None, "t": "a\tb"}}
    svc = {"name": "web", "plugin": "sup", "command": ["python", "-m", "http.server", "8000"],
           "cwd": "/r/web", "health": {"type": "tcp", "host": "127.0.0.1", "port": 8000},
           "depends_on": ["db", "cache"]}
    render_plan(SimpleNamespace(config=config, services=[svc]), "/r")
    console = Console(file=io.StringIO(), width=90, color_system=None, highlight=False, soft_wrap=True)
    console.print("[bold]Config[/bold]")
    console.print(JSON(json.dumps(config)))
    console.file.write(_rich_boxed("\nServices", ("Service", "Plugin", "Command:3", "Cwd:1", "Health:2",
                                                  "Depends on:1"),
                                   [("web", "sup", "python -m http.server 8000", "web",
                                     f"tcp {target_text(svc['health'])}", "db, cache")], 90))
    assert capsys.readouterr().out == console.file.getvalue()
