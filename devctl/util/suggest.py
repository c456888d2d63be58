""""Did you mean …?" for a name that is not one of the known ones.

Why one module: every config reader (`.devctl.yaml`, `dofek.toml`) rejects unknown keys, and a
typo should get the same helpful sentence everywhere, decided by one similarity rule.
"""

from __future__ import annotations

from collections.abc import Iterable

#: How similar (difflib ratio, 0..1) a known name must be to be suggested.
CUTOFF = 0.6


def closest(word: str, known: Iterable[str], *, cutoff: float = CUTOFF) -> str | None:
    """The known name nearest to `word`, or None when none is close enough."""
    import difflib  # only when a name is wrong: every parse of .devctl.yaml imports this module

    matches = difflib.get_close_matches(word, list(known), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def unknown_key(key: str, known: Iterable[str]) -> str:
    """'unknown key' plus the nearest known key, or, when none is near, the list of known keys."""
    known = list(known)
    near = closest(key, known)
    if near is not None:
        return f"unknown key (did you mean '{near}'?)"
    return f"unknown key (known keys: {', '.join(known)})"
