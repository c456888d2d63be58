"""The dashboard's overlays: the `?` help and the yes/no question (`down`).

A module of its own so the first frame does not import them: they are built when first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from textual.app import ComposeResult


def key_label(keys: str) -> str:
    """`l,enter` → `l / enter`; `question_mark` → `?`."""
    names = {"question_mark": "?", "escape": "esc", "ctrl+c": "ctrl+c"}
    return " / ".join(names.get(k.strip(), k.strip()) for k in keys.split(","))


def binding_rows(bindings: list[Any]) -> list[tuple[str, str]]:
    """(keys, what) for each binding with a description (its tooltip, the longer story, when it
    has one): Binding objects or (key, action, text) tuples."""
    rows: list[tuple[str, str]] = []
    for b in bindings:
        if isinstance(b, Binding):
            keys, text = b.key, b.description
            text = b.tooltip or text  # the longer story, when there is one
        else:
            keys, text = b[0], (b[2] if len(b) > 2 else "")
        if text:
            rows.append((key_label(keys), text))
    return rows


class HelpScreen(ModalScreen[None]):
    """The keys of the current view, then the global ones; any of `?`, `esc`, `q` closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 72; max-width: 95%; height: auto; max-height: 100%;
                                  border: round $primary; padding: 0 2; background: $surface; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "dismiss_help", "Close", show=False)]

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()  # arrow keys scroll it

    def __init__(self, title: str, view_keys: list[tuple[str, str]], global_keys: list[tuple[str, str]]):
        super().__init__()
        self.title_text = title
        self.view_keys = view_keys
        self.global_keys = global_keys

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        table.add_row(Text(f"{self.title_text} view", style="underline"), "")
        for keys, text in self.view_keys or [("", "(no keys of its own)")]:
            table.add_row(keys, text)
        table.add_row("", "")
        table.add_row(Text("everywhere", style="underline"), "")
        for keys, text in self.global_keys:
            table.add_row(keys, text)
        table.add_row("", "")
        table.add_row("", Text("mouse: click a tab or a row; ? / esc closes this", style="dim"))
        with VerticalScroll():  # scrolls on a short terminal (80×24)
            yield Static(table, id="help")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; `y` / `enter` on the yes button say yes, `n` / `esc` say no."""

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: 60; max-width: 95%; height: auto; border: thick $warning;
                               padding: 1 2; background: $surface; }
    ConfirmScreen Horizontal { height: auto; margin-top: 1; align: center middle; }
    ConfirmScreen Button { margin: 0 2; }
    """
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "Cancel"):
        super().__init__()
        self.question = question
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question))
            with Horizontal():
                yield Button(f"{self.yes} (y)", variant="error", id="yes")
                yield Button(f"{self.no} (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # enter alone must not stop everything

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
