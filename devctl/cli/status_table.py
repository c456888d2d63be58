"""The `devctl status` table, sized so that names, states and numbers are never cut.

rich fits a table into the console width by squeezing every column, numbers included: at 80
columns, and whenever stdout is piped (rich then assumes 80), a pid of 14272 came out as `1427`.
Here the table is never narrower than its whole columns (`STATUS_WHOLE`) need:

- piped (CI logs, `| grep`): the natural width, one line per service, nothing wrapped;
- on a terminal where everything fits: the same table;
- on a narrower terminal: HEALTH and LOG fold, and a failure's reason leaves the STATE cell
  for a line of its own under the table (`  web: exited with code 3`); if even the whole
  columns do not fit, the line is left longer than the terminal (the terminal wraps it)
  rather than cutting a number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

#: Room kept for each foldable column (HEALTH, LOG) on a narrow terminal.
_FOLD_MIN = 12


def _table(snapshot: dict[str, Any], *, reasons: bool, cwd: str) -> Table:
    from rich.table import Table
    from rich.text import Text

    from devctl.supervisor.render import STATUS_COLUMNS, STATUS_WHOLE, state_markup, status_rows

    table = Table(box=None, pad_edge=False, header_style="bold")
    rows = status_rows(snapshot, snapshot["repo_root"], reasons=reasons, cwd=cwd)
    for index, col in enumerate(STATUS_COLUMNS):
        if col in STATUS_WHOLE:
            # A fixed width is the one thing rich never squeezes.
            width = max(len(col), *(len(row[index]) for row in rows))
            table.add_column(col, no_wrap=True, width=width, min_width=width)
        else:
            table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(Text(row[0]), state_markup(row[1]), *(Text(c) for c in row[2:]))
    return table


def _natural_width(console: Console, table: Table) -> int:
    from rich.measure import Measurement

    return Measurement.get(console, console.options.update(max_width=100_000), table).maximum


def _print_at(console: Console, table: Table, width: int) -> None:
    """Print `table` laid out for `width` columns, even wider than the console (whose own
    `print(width=)` is capped at its width): rendered to segments first, then written uncropped."""
    from rich.segment import Segments

    console.print(Segments(console.render(table, console.options.update_width(width))), crop=False,
                  soft_wrap=True)


def print_status(console: Console, snapshot: dict[str, Any], cwd: str | None = None) -> None:
    """Print the status table (and, on a narrow terminal, the failure reasons under it). Log
    paths are relative to `cwd` (default: the current directory) when it is inside the repo."""
    import os

    from rich.text import Text

    from devctl.supervisor.render import status_reason

    cwd = cwd or os.getcwd()
    table = _table(snapshot, reasons=True, cwd=cwd)
    natural = _natural_width(console, table)
    if not console.is_terminal or natural <= console.width:
        _print_at(console, table, natural)
        return
    table = _table(snapshot, reasons=False, cwd=cwd)
    whole = sum(column.width or 0 for column in table.columns if column.width)
    padding = 2 * (len(table.columns) - 1)
    foldable = sum(1 for column in table.columns if not column.width)
    _print_at(console, table, max(console.width, whole + padding + foldable * _FOLD_MIN))
    for svc in snapshot["services"]:
        reason = status_reason(svc)
        if reason:
            console.print(Text(f"  {svc['name']}: {reason}"))


def render_status(snapshot: dict[str, Any]) -> None:
    """What `devctl status` shows: the table on stdout, or on stderr why there is none, and a
    warning when the states are judged from recorded pids because no supervisor runs."""
    from devctl.cli.output import err, out

    if not snapshot["services"]:
        err().print("nothing running (no services recorded for this repo; start them with `devctl up`)")
        return
    if not snapshot["supervisor"]["running"]:
        err().print("[yellow]the supervisor is not running[/yellow]: states below are judged from "
                    "recorded pids; `devctl down` cleans up, `devctl up` starts again")
    print_status(out(), snapshot)
