"""Find `dotagent-plugin-<name>` executables in exactly the order the dotagent spec gives.

1. `$DOTAGENT_PLUGIN_PATH` (colon-separated directories)
2. `~/.config/dotagent/plugins/`
3. `/usr/local/lib/dotagent/plugins/`
4. `$PATH`

The first directory holding an executable regular file of that name wins. Everything
that reads the environment takes it as a parameter (`env`, `system_dirs`), so tests can
point every level at temp dirs without touching the real machine.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PREFIX = "dotagent-plugin-"
#: Level 3 of the search. A module attribute so tests can substitute a temp dir.
SYSTEM_DIRS: tuple[str, ...] = ("/usr/local/lib/dotagent/plugins",)
#: Plugin names become file names: keep them to one safe path component.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


@dataclass(frozen=True)
class SearchDir:
    path: Path
    source: str  # "DOTAGENT_PLUGIN_PATH" | "user" | "system" | "PATH"


@dataclass(frozen=True)
class Found:
    name: str
    path: Path
    source: str
    #: Later matches of the same name that this one hides (shown by `dotagent plugins`).
    shadows: tuple[Path, ...] = ()


def valid_name(name: str) -> bool:
    return bool(_NAME.match(name))


def search_dirs(
    env: Mapping[str, str] | None = None, *, system_dirs: Sequence[str] | None = None
) -> list[SearchDir]:
    """The directories searched, in order. Empty entries in colon lists are skipped
    (an empty PATH entry would mean "the current directory", which a plugin host must
    never search implicitly)."""
    env = os.environ if env is None else env
    dirs: list[SearchDir] = []
    for entry in env.get("DOTAGENT_PLUGIN_PATH", "").split(os.pathsep):
        if entry:
            dirs.append(SearchDir(Path(entry).expanduser(), "DOTAGENT_PLUGIN_PATH"))
    home = env.get("HOME") or os.path.expanduser("~")
    dirs.append(SearchDir(Path(home) / ".config" / "dotagent" / "plugins", "user"))
    for entry in SYSTEM_DIRS if system_dirs is None else system_dirs:
        dirs.append(SearchDir(Path(entry), "system"))
    for entry in env.get("PATH", "").split(os.pathsep):
        if entry:
            dirs.append(SearchDir(Path(entry), "PATH"))
    return dirs


def _is_executable_file(path: Path) -> bool:
    try:
        return path.is_file() and os.access(path, os.X_OK)
    except OSError:
        return False


def find_plugin(
    name: str, env: Mapping[str, str] | None = None, *, system_dirs: Sequence[str] | None = None
) -> Found | None:
    """The first `dotagent-plugin-<name>` on the search path, or None."""
    if not valid_name(name):
        return None
    for d in search_dirs(env, system_dirs=system_dirs):
        candidate = d.path / (PREFIX + name)
        if _is_executable_file(candidate):
            return Found(name, candidate, d.source)
    return None


def list_plugins(
    env: Mapping[str, str] | None = None, *, system_dirs: Sequence[str] | None = None
) -> list[Found]:
    """Every plugin name on the search path, each resolved to its winning file, sorted by name."""
    winners: dict[str, Found] = {}
    for d in search_dirs(env, system_dirs=system_dirs):
        try:
            entries = sorted(os.scandir(d.path), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if not entry.name.startswith(PREFIX):
                continue
            name = entry.name[len(PREFIX):]
            path = Path(entry.path)
            if not valid_name(name) or not _is_executable_file(path):
                continue
            if name in winners:
                prev = winners[name]
                if path != prev.path:
                    winners[name] = Found(name, prev.path, prev.source, (*prev.shadows, path))
            else:
                winners[name] = Found(name, path, d.source)
    return [winners[n] for n in sorted(winners)]


def resolve(
    ref: str,
    *,
    base_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    system_dirs: Sequence[str] | None = None,
) -> Found | None:
    """A plugin reference as written in a manifest or `.devctl.yaml`: a bare name is
    discovered; anything containing `/` is a path to the executable (relative to
    `base_dir`), which lets a repo ship its own plugins next to its config."""
    if "/" in ref:
        path = Path(ref).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not _is_executable_file(path):
            return None
        stem = path.name[len(PREFIX):] if path.name.startswith(PREFIX) else path.name
        return Found(stem, path.resolve(), "path")
    return find_plugin(ref, env, system_dirs=system_dirs)


def describe_search(env: Mapping[str, str] | None = None, *, system_dirs: Sequence[str] | None = None) -> str:
    """One line listing where we looked, for "plugin not found" messages."""
    parts = [f"{d.path}" for d in search_dirs(env, system_dirs=system_dirs) if d.source != "PATH"]
    return ", ".join(parts) + ", then $PATH"
