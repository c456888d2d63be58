"""`devctl --help` (and `devctl COMMAND --help`) replayed from the text it rendered last time.

Rendering help costs importing typer and rich (~70 ms on a quiet 2-core box) and rich's panel
layout (~30 ms), for a text that changes only when one of its inputs does. Those inputs, all
part of the cache key, are:

- the code that renders it: every module file loaded while rendering (devctl's CLI, typer, its
  click, rich...), by path, mtime and size — an upgrade or an edit of any of them is a miss —
  with the interpreter and `sys.path` that found them;
- the command line: only the exact shapes `devctl`, `devctl --help|-h` and
  `devctl BUILTIN --help|-h` are cached (any global option, a plugin command's help, anything
  else is rendered as always);
- what rich, typer and gettext read from the environment (`ENV_VARS`: `COLUMNS`, `NO_COLOR`,
  `TERM`, `FORCE_COLOR`...; tests/unit/cli/test_help_cache.py keeps the list equal to what their
  sources read), and the terminal: isatty and size of fds 0-2, stdout's encoding;
- for the root help, which lists the repo's plugin commands: the repo root, the config file,
  whether `plugins/` exists, the command cache's file and whether it is fresh.

A miss renders through typer as before, with stdout copied on the way out; the text is stored
only when nothing else was written (no stderr output, no binary writes). Entries live under
`$XDG_CACHE_HOME/devctl/help` (`~/.cache/...`), one small file per key, the oldest pruned
beyond `KEEP`; an unreadable or unwritable cache is simply not used. `DEVCTL_NO_HELP_CACHE=1`
turns it off.
"""

from __future__ import annotations

import json
import os
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from devctl.util.filestamp import stat_entry

#: Environment variables whose value can change rendered help (rich, typer, gettext).
ENV_VARS = (
    "COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "PY_COLORS", "TERM", "COLORTERM", "TTY_COMPATIBLE",
    "TTY_INTERACTIVE", "GITHUB_ACTIONS", "TERMINAL_WIDTH", "_TYPER_FORCE_DISABLE_TERMINAL", "TYPER_USE_RICH",
    "_TYPER_STANDARD_TRACEBACK", "TYPER_STANDARD_TRACEBACK", "UNICODE_VERSION", "JUPYTER_COLUMNS",
    "JUPYTER_LINES", "DATABRICKS_RUNTIME_VERSION", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG",
)
#: Set when a shell asks for completions: that is not help, and never cached.
COMPLETE_VAR = "_DEVCTL_COMPLETE"
OFF_VAR = "DEVCTL_NO_HELP_CACHE"
HELP_FLAGS = ("--help", "-h")
#: Entries kept (one per terminal width, colour mode, repo state... in use).
KEEP = 64
FORMAT = 1


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # unset, empty or relative: the XDG default
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "devctl" / "help"


def key_for(args: list[str]) -> dict[str, Any] | None:
    """The cache key of this help invocation, or None when its shape is not cached."""
    from devctl.plugin_commands.names import BUILTIN_NAMES

    if os.environ.get(OFF_VAR) or os.environ.get(COMPLETE_VAR) or sys.stdout is None:
        return None
    root_help = args == [] or (len(args) == 1 and args[0] in HELP_FLAGS)
    command_help = len(args) == 2 and args[0] in BUILTIN_NAMES and args[1] in HELP_FLAGS
    if not (root_help or command_help):
        return None
    sizes = []
    for fd in (0, 1, 2):
        try:
            sizes.append(list(os.get_terminal_size(fd)))
        except OSError:
            sizes.append(None)
    stdout = sys.stdout
    return {
        "format": FORMAT, "args": args, "python": sys.version, "executable": sys.executable,
        "path": sys.path, "platform": sys.platform, "cli": os.path.dirname(os.path.abspath(__file__)),
        "env": {name: os.environ.get(name) for name in ENV_VARS},
        "tty": [_isatty(fd) for fd in (0, 1, 2)], "size": sizes,
        "encoding": [getattr(stdout, "encoding", None), getattr(stdout, "errors", None)],
        "repo": _repo_inputs() if root_help else None,
    }


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _repo_inputs() -> list[Any] | None:
    """What the root help's plugin-command listing is made of (see cli/plugin_commands.py)."""
    from devctl.cli.context import AppContext
    from devctl.plugin_commands import cache

    try:
        root = AppContext().repo_root()
    except OSError:
        return None
    config = cache.expected_config(root, None)
    found = cache.read(root)
    return [str(root), str(config) if config else None, (root / "plugins").is_dir(),
            cache.stat_entry(cache.cache_path(root)),
            None if found is None else cache.is_fresh(found, config)]


def _entry_path(key: dict[str, Any]) -> Path:
    text = json.dumps(key, sort_keys=True)
    return cache_dir() / f"{zlib.crc32(text.encode()):08x}-{len(text)}.json"


def replay(key: dict[str, Any]) -> int | None:
    """Write the cached help and return its exit code; None on a miss (nothing written)."""
    try:
        entry = json.loads(_entry_path(key).read_text(encoding="utf-8"))
        if entry["key"] != key or any(stat_entry(dep[0]) != dep for dep in entry["deps"]):
            return None
        text, code = entry["out"], entry["code"]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    sys.stdout.write(text)
    sys.stdout.flush()
    return int(code)


class _Copy:
    """A stream that passes every write through and keeps a copy; anything else it is asked
    (isatty, fileno, encoding...) the real stream answers. Bytes written past the copy (to
    `.buffer`) mark it unusable."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.parts: list[str] = []
        self.bypassed = False

    def write(self, text: str) -> int:
        written = int(self._stream.write(text))  # first: click probes with b"", which raises
        self.parts.append(text)
        return written

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":
            return _Bypass(self, self._stream.buffer)
        return getattr(self._stream, name)


class _Bypass:
    def __init__(self, copy: _Copy, buffer: Any) -> None:
        self._copy, self._buffer = copy, buffer

    def write(self, data: bytes) -> int:
        if data:
            self._copy.bypassed = True
        return int(self._buffer.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._buffer, name)


def recording(key: dict[str, Any], run: Callable[[], object]) -> Callable[[], object]:
    """`run` (the typer path), storing what it printed under `key` once it exits cleanly."""

    def recorded() -> object:
        out, err = _Copy(sys.stdout), _Copy(sys.stderr)
        sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
        code: Any = None  # stays None when it failed (a closed pipe...): nothing is stored
        try:
            result = run()
            code = 0
            return result
        except SystemExit as exc:
            code = 0 if exc.code is None else exc.code
            raise
        finally:
            sys.stdout, sys.stderr = out._stream, err._stream
            # Help exits 0 (2 for a bare `devctl`); 1 is click's code for a closed stdout.
            if code in (0, 2) and not (err.parts or out.bypassed or err.bypassed):
                _store(key, "".join(out.parts), code)

    return recorded


def _store(key: dict[str, Any], text: str, code: int) -> None:
    """Keep the text with the files it came from; best effort (a read-only home just misses)."""
    deps = sorted({os.path.abspath(f) for m in list(sys.modules.values())
                   if isinstance(f := getattr(m, "__file__", None), str)})
    entry = {"key": key, "deps": [stat_entry(path) for path in deps], "code": code, "out": text}
    try:
        from devctl.util.atomic import write_atomic

        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(_entry_path(key), json.dumps(entry), mode=0o600, durable=False)
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
