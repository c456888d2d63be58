"""The `devctl status` table, sized so that names, states and numbers are never cut.

rich fitted a table into the console width by squeezing every column, numbers included: at 80
columns, and whenever stdout is piped (rich then assumes 80), a pid of 14272 came out as `1427`.
Here the table is never narrower than its whole columns (`STATUS_WHOLE`) need:

- piped (CI logs, `| grep`): the natural width, one line per service, nothing wrapped;
- on a terminal where everything fits: the same table;
- on a narrower terminal: HEALTH and LOG fold, and a failure's reason leaves the STATE cell
  for a line of its own under the table (`  web: exited with code 3`); if even the whole
  columns do not fit, the line is left longer than the terminal (the terminal wraps it)
  rather than cutting a number.

One renderer for terminal and pipe alike, without rich (`devctl.cli.plain`: importing rich's
console and table cost more than the rest of `status`): the same text rich's borderless
table printed, the state coloured with ANSI codes on a terminal (none with NO_COLOR), the
narrow-terminal folding laid out by rich's rules (`plain.collapse`, `plain.wrap`).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `typing` is an import `status` and `down` skip
if TYPE_CHECKING:
    from typing import Any, TextIO

#: Room kept for each foldable column (HEALTH, LOG) on a narrow terminal.
_FOLD_MIN = 12


def status_lines(snapshot: dict[str, Any], *, terminal: bool, width: int, colour: bool,
                 cwd: str) -> list[str]:
    """The table's lines (then, on a narrow terminal, the failure reasons under it) for a
    terminal `width` columns wide, or, when not `terminal`, at the table's natural width."""
    from devctl.cli import plain
    from devctl.supervisor.render import STATE_STYLE, STATUS_COLUMNS, STATUS_WHOLE, status_reason, status_rows

    def layout(reasons: bool) -> tuple[list[list[str]], list[int]]:
        rows = [[plain.clean(c) for c in row]
                for row in status_rows(snapshot, snapshot["repo_root"], reasons=reasons, cwd=cwd)]
        sizes = [max(plain.cell_len(col), *(plain.cell_len(row[i]) for row in rows))
                 for i, col in enumerate(STATUS_COLUMNS)]
        return rows, sizes

    def styles(rows: list[list[str]]) -> list[list[str]]:
        return [["", STATE_STYLE.get(row[1].split(" ", 1)[0], ""), *[""] * (len(row) - 2)] for row in rows]

    rows, sizes = layout(True)
    padding = 2 * (len(STATUS_COLUMNS) - 1)
    if not terminal or sum(sizes) + padding <= width:
        return plain.table(STATUS_COLUMNS, rows, sizes, styles=styles(rows), on=colour)
    rows, sizes = layout(False)
    wrapable = [col not in STATUS_WHOLE for col in STATUS_COLUMNS]
    whole = sum(size for size, wraps in zip(sizes, wrapable, strict=True) if not wraps)
    room = max(width, whole + padding + sum(wrapable) * _FOLD_MIN)
    # Laid out as rich's table did: widths with their padding (1 | 2 ... 2 | 1), the foldable
    # columns shrunk widest first; a cell that still cannot fit wraps within its column.
    pads = [1, *[2] * (len(sizes) - 2), 1]
    fitted = plain.collapse([s + p for s, p in zip(sizes, pads, strict=True)], wrapable, room)
    sizes = [f - p for f, p in zip(fitted, pads, strict=True)]
    lines = plain.table(STATUS_COLUMNS, rows, sizes, styles=styles(rows), on=colour)
    for svc in snapshot["services"]:
        reason = status_reason(svc)
        if reason:
            lines.append(plain.clean(f"  {svc['name']}: {reason}"))
    return lines


def print_status(snapshot: dict[str, Any], cwd: str | None = None, stream: TextIO | None = None) -> None:
    """Print the status table on `stream` (stdout). Log paths are relative to `cwd` (default: the
    current directory) when it is inside the repo."""
    import os

    from devctl.cli import plain

    stream = stream or sys.stdout
    terminal = plain.is_terminal(stream)
    lines = status_lines(snapshot, terminal=terminal, width=plain.width() if terminal else 0,
                         colour=plain.styled(stream), cwd=cwd or os.getcwd())
    stream.write("".join(line + "\n" for line in lines))
    stream.flush()


def render_status(snapshot: dict[str, Any]) -> None:
    """What `devctl status` shows: the table on stdout, or on stderr why there is none, and a
    warning when the states are judged from recorded pids because no supervisor runs."""
    from devctl.cli.output import info, notice

    if not snapshot["services"]:
        info("nothing running (no services recorded for this repo; start them with `devctl up`)")
        return
    if not snapshot["supervisor"]["running"]:
        notice(("the supervisor is not running", "yellow"), ": states below are judged from recorded pids; "
               "`devctl down` cleans up, `devctl up` starts again")
    print_status(snapshot)
