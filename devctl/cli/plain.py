"""Text for a person without rich: terminal detection, ANSI styles, wrapping and a plain table.

Why not rich everywhere: importing `rich.console` costs 30-85 ms on the 2-core box, more than
the rest of `devctl status` together, and a one-line message or a borderless table needs none of
it. This module writes what rich wrote for the same input, by the same rules:

- a stream is a terminal by rich's rules (`TTY_COMPATIBLE=0/1`, then `FORCE_COLOR` set and not
  empty, then `isatty()`), so `FORCE_COLOR=1 devctl status | less -R` stays coloured;
- styles are plain SGR codes, and only on a terminal whose `TERM` is not `dumb`/`unknown`, with
  `NO_COLOR` unset or empty (NO_COLOR means no styling at all, bold and dim included: see
  `devctl.cli.output`);
- the width is rich's: `COLUMNS`, else the size of the first of stdin/stdout/stderr that is a
  terminal, else 80;
- text loses the control characters rich's `Text` drops, and tabs become spaces (8 columns);
- long free text wraps at word boundaries and folds words longer than the column, as rich's
  `overflow="fold"` does (`wrap`).

rich stays where it earns its cost: `up`'s redrawn lines and the bordered tables of `plan`,
which are drawn on a terminal only. (Spinners are drawn without it too: `cli/spinner.py`.)
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `typing` is an import `status` and `down` skip
if TYPE_CHECKING:
    from typing import TextIO

#: SGR parameters of the style words devctl uses (rich writes attributes first, then colour).
_ATTRIBUTES = {"bold": "1", "dim": "2", "italic": "3", "underline": "4"}
_COLOURS = {"black": "30", "red": "31", "green": "32", "yellow": "33", "blue": "34", "magenta": "35",
            "cyan": "36", "white": "37"}

#: What rich's `Text` strips (bell, backspace, vertical tab, form feed, carriage return).
_CONTROL = dict.fromkeys((7, 8, 11, 12, 13))

_WORD = re.compile(r"\s*\S+\s*")


def is_terminal(stream: TextIO | None) -> bool:
    """rich's `Console(file=stream).is_terminal`: TTY_COMPATIBLE=0/1, then FORCE_COLOR (set and
    not empty), then `isatty()`."""
    tty_compatible = os.environ.get("TTY_COMPATIBLE", "")
    if tty_compatible in ("0", "1"):
        return tty_compatible == "1"
    force_color = os.environ.get("FORCE_COLOR")
    if force_color is not None:
        return force_color != ""
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


def styled(stream: TextIO | None) -> bool:
    """Whether text written to `stream` gets escape codes: a terminal that is not dumb, and no
    NO_COLOR (set and not empty)."""
    if os.environ.get("NO_COLOR"):
        return False
    return is_terminal(stream) and os.environ.get("TERM", "").lower() not in ("dumb", "unknown")


def width() -> int:
    """The terminal's width as rich finds it: COLUMNS, else the first of fds 0-2 with a size, else 80."""
    if is_terminal(sys.stdout) and os.environ.get("TERM", "").lower() in ("dumb", "unknown"):
        return 80
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns) or 80
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (AttributeError, ValueError, OSError):  # not a terminal
            continue
    return 80


def sgr(style: str) -> str:
    """`"bold red"` → `"1;31"` (unknown words are ignored, as an empty style is)."""
    words = style.split()
    codes = [_ATTRIBUTES[w] for w in words if w in _ATTRIBUTES]
    codes += [_COLOURS[w] for w in words if w in _COLOURS]
    return ";".join(codes)


def paint(text: str, style: str, on: bool) -> str:
    """`text` in `style` when `on`, line by line (as rich ends a style at every line end)."""
    codes = sgr(style) if on else ""
    if not codes or not text:
        return text
    return "\n".join(f"\x1b[{codes}m{line}\x1b[0m" if line else line for line in text.split("\n"))


def clean(text: str, column: int = 0) -> str:
    """What rich prints for a plain string: control characters dropped, tabs expanded (for text
    that starts at `column` of its line)."""
    text = text.translate(_CONTROL)
    return (" " * column + text).expandtabs(8)[column:] if "\t" in text else text


def cell_len(text: str) -> int:
    """Columns `text` takes on a terminal: East Asian wide characters take two, combining marks none."""
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
               for ch in text)


def _chop(word: str, size: int) -> list[str]:
    """`word` cut into pieces of at most `size` columns."""
    if word.isascii():
        return [word[i:i + size] for i in range(0, len(word), size)]
    pieces, piece, used = [], "", 0
    for ch in word:
        w = cell_len(ch)
        if used + w > size and piece:
            pieces.append(piece)
            piece, used = "", 0
        piece += ch
        used += w
    return [*pieces, piece] if piece else pieces


def wrap(text: str, size: int) -> list[str]:
    """`text` in lines of at most `size` columns, as rich's `overflow="fold"` breaks it: at word
    boundaries, a word that fits no line folded into pieces; trailing spaces dropped."""
    lines: list[str] = []
    for para in text.split("\n"):
        current, used = "", 0
        for match in _WORD.finditer(para):
            word = match.group(0)
            length = cell_len(word.rstrip())
            if size - used >= length:
                current += word
                used += cell_len(word)
            elif length > size:
                pieces = _chop(word, size)
                if current:
                    lines.append(current)
                lines.extend(pieces[:-1])
                current, used = pieces[-1], cell_len(pieces[-1])
            elif current:
                lines.append(current)
                current, used = word, cell_len(word)
            else:
                current, used = word, cell_len(word)
        lines.append(current)
    return [line.rstrip() for line in lines]


def collapse(widths: list[int], wrapable: Sequence[bool], max_width: int) -> list[int]:
    """Shrink the wrapable widths until their sum fits `max_width`, the widest first, down to the
    next widest, and so on (rich's `Table._collapse_widths`, so both lay a table out alike)."""
    widths = list(widths)
    excess = sum(widths) - max_width
    while excess > 0 and any(wrapable):
        widest = max(w for w, ok in zip(widths, wrapable, strict=True) if ok)
        second = max((w if ok and w != widest else 0) for w, ok in zip(widths, wrapable, strict=True))
        if not widest - second:
            break
        take = min(excess, widest - second)
        ratios = [1 if ok and w == widest else 0 for w, ok in zip(widths, wrapable, strict=True)]
        remaining, total = excess, sum(ratios)
        for i, ratio in enumerate(ratios):
            if ratio and total > 0:
                cut = min(take, round(ratio * remaining / total))
                widths[i] -= cut
                remaining -= cut
                total -= ratio
        excess = sum(widths) - max_width
    return widths


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int], *,
          styles: Sequence[Sequence[str]] | None = None, on: bool = False) -> list[str]:
    """A borderless table (two spaces between columns; every cell, the last included, padded to
    its column's width, as rich's `Table(box=None, pad_edge=False)` prints it), each cell wrapped
    to its width. Bold headers and each cell's style (`styles[row][col]`) when `on`."""
    def padded(text: str, size: int) -> str:
        return text + " " * (size - cell_len(text))

    lines = [paint("  ".join(padded(h, w) for h, w in zip(headers, widths, strict=True)), "bold", on)]
    for r, row in enumerate(rows):
        cells = [wrap(text, w) if cell_len(text) > w else [text] for text, w in zip(row, widths, strict=True)]
        for i in range(max(len(c) for c in cells)):
            parts = []
            for c, (cell, w) in enumerate(zip(cells, widths, strict=True)):
                text = cell[i] if i < len(cell) else ""
                style = styles[r][c] if styles else ""
                parts.append(paint(text, style, on) + " " * (w - cell_len(text)))
            lines.append("  ".join(parts))
    return lines


#: rich's `box.HEAVY_HEAD`, the default box of its tables: (left, fill, divider, right) per rule.
_TOP, _HEAD, _HEAD_ROW, _MID, _BOTTOM = "┏━┳┓", "┃ ┃┃", "┡━╇┩", "│ ││", "└─┴┘"


def _distribute(total: int, ratios: Sequence[int], minimums: Sequence[int]) -> list[int]:
    """`total` split by `ratios`, each part at least its minimum (rich's `ratio_distribute`)."""
    from math import ceil

    left, parts = sum(ratios), []
    for ratio, minimum in zip(ratios, minimums, strict=True):
        part = max(minimum, ceil(ratio * total / left)) if left > 0 else total
        parts.append(part)
        left -= ratio
        total -= part
    return parts


def boxed_table(title: str, headers: Sequence[str], ratios: Sequence[int], rows: Sequence[Sequence[str]],
                width: int) -> list[str] | None:
    """A table `width` columns wide, as rich's `Table(title=..., title_justify="left",
    expand=True)` draws it without colour (a heavy header box, one space of padding in every
    cell): a column with a ratio (> 0) takes that share of the room the others leave and wraps
    (or folds) its text; a column without one is as wide as its widest cell (and header) and
    never wraps. None when the columns do not fit in `width` that way (the ratio columns'
    minimum of one character each counted): rich then squeezes every column by rules not
    repeated here, and the caller lets rich draw it."""
    rows = [[clean(cell) for cell in row] for row in rows]
    flexible = [r > 0 for r in ratios]
    sizes = [0 if flex else max(cell_len(line) for cell in (h, *col) for line in cell.split("\n")) + 2
             for h, col, flex in zip(headers, zip(*rows, strict=True) if rows else [()] * len(headers),
                                     flexible, strict=True)]
    room = width - (len(headers) + 1)
    parts = _distribute(room - sum(sizes), [r for r in ratios if r > 0], [3] * sum(flexible))
    if sum(parts) + sum(sizes) > room:
        return None
    shares = iter(parts)
    sizes = [next(shares) if flex else size for size, flex in zip(sizes, flexible, strict=True)]
    inner = [s - 2 for s in sizes]

    def rule(box: str) -> str:
        return box[0] + box[2].join(box[1] * s for s in sizes) + box[3]

    def lines(box: str, row: Sequence[str], bottom: bool = False) -> list[str]:
        cells = [wrap(c, w) if flex else [_chop(p, w)[0] if cell_len(p) > w else p for p in c.split("\n")]
                 for c, w, flex in zip(row, inner, flexible, strict=True)]
        if bottom:  # headers sit on the rule under them
            height = max(len(c) for c in cells)
            cells = [[""] * (height - len(c)) + c for c in cells]
        return [box[0] + box[2].join(f" {text}{' ' * (w - cell_len(text))} "
                                     for text, w in zip((c[i] if i < len(c) else "" for c in cells), inner,
                                                        strict=True)) + box[3]
                for i in range(max(len(c) for c in cells))]

    out = title.split("\n") if title else []
    out += [rule(_TOP), *lines(_HEAD, headers, bottom=True), rule(_HEAD_ROW)]
    for row in rows:
        out += lines(_MID, row)
    out.append(rule(_BOTTOM))
    return out
