"""Which plugin command names are usable, and which plugin wins a name.

Pure functions over plain data (what each plugin's handshake declared in
`capabilities.commands` and what its `commands.list` said), so the rules are
tested without processes and applied identically by `--help`, `plugins list` and the runner.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from devctl.errors import OperationFailed
from devctl.util.records import Fields, Record

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: a plugin command imports this before its spawn
if TYPE_CHECKING:
    from typing import Any

_set = object.__setattr__  # a Record's fields are set once, in its __init__

#: A word a shell passes through untouched and click never mistakes for an option.
_NAME = re.compile(r"^[A-Za-z0-9_:][A-Za-z0-9_:-]*$")
MAX_NAME_LEN = 64
#: Who wins when a plugin command's name is taken by a built-in.
BUILTIN = "built-in"
#: The built-in commands, in the order `devctl --help` lists them. These names are reserved:
#: a plugin command by one of them is hidden (the built-in wins). Kept here, in the core,
#: because discovery and the runner apply the rule too; the CLI's lazy command table
#: (`devctl.cli.lazy.BUILTINS`) is keyed by exactly these names.
BUILTIN_NAMES: tuple[str, ...] = (
    "up", "down", "status", "logs", "restart", "stop", "start", "run", "tui",
    "plan", "build", "prepare", "validate",
    "plugins", "stream", "doctor", "schema",
    "dofek", "dotagent",
)


def name_problem(name: object) -> str | None:
    """Why `name` cannot be a command name, or None when it can."""
    if not isinstance(name, str):
        return f"name must be a string, got {type(name).__name__}"
    if not name:
        return "name is empty"
    if len(name) > MAX_NAME_LEN:
        return f"name is longer than {MAX_NAME_LEN} characters"
    if name.startswith("-"):
        return f"name {name!r} starts with '-' (it would be read as an option)"
    if not _NAME.match(name):
        return f"name {name!r} may only contain letters, digits, '-', '_' and ':'"
    return None


class Listing(Fields):
    """What one plugin declared: its usable commands, and what was wrong (if anything).

    A plain record (`devctl.util.records`), not a dataclass: every plugin command reads these
    from the command cache, and `dataclasses` is 10-25 ms of import (with `inspect`)."""

    __slots__ = ("plugin", "priority", "commands", "error", "skipped", "mutates")
    plugin: str
    priority: int
    commands: list[dict[str, str]]  # [{name, help}]
    #: commands.list failed, timed out, or the plugin did not start: a sentence naming the plugin.
    error: str | None
    skipped: list[str]  # entries reported and dropped
    #: Its handshake declares config.mutate: a plugin command's config phase must start it.
    mutates: bool

    def __init__(self, plugin: str, priority: int, commands: list[dict[str, str]] | None = None,
                 error: str | None = None, skipped: list[str] | None = None, mutates: bool = False) -> None:
        self.plugin = plugin
        self.priority = priority
        self.commands = [] if commands is None else commands
        self.error = error
        self.skipped = [] if skipped is None else skipped
        self.mutates = mutates

    def to_json(self) -> dict[str, Any]:
        return {"plugin": self.plugin, "priority": self.priority, "commands": self.commands,
                "error": self.error, "skipped": self.skipped, "mutates": self.mutates}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Listing:
        return cls(plugin=str(data["plugin"]), priority=int(data["priority"]),
                   commands=[dict(c) for c in data.get("commands", [])],
                   error=data.get("error"), skipped=list(data.get("skipped", [])),
                   mutates=bool(data.get("mutates", False)))


def parse_listing(plugin: str, priority: int, output: Any) -> Listing:
    """A `commands.list` output → Listing; bad entries are skipped with a reason each."""
    listing = Listing(plugin, priority)
    commands = output.get("commands") if isinstance(output, dict) else None
    if not isinstance(commands, list):
        listing.error = f"plugin {plugin!r}: commands.list output has no 'commands' list"
        return listing
    seen: set[str] = set()
    for index, entry in enumerate(commands):
        where = f"commands.list commands[{index}]"
        if not isinstance(entry, dict):
            listing.skipped.append(f"{where}: expected an object with 'name' and 'help'")
            continue
        name = entry.get("name")
        problem = name_problem(name)
        if problem is not None:
            listing.skipped.append(f"{where}: {problem}")
            continue
        if name in seen:
            listing.skipped.append(f"{where}: {name!r} is listed twice")
            continue
        help_text = entry.get("help", "")
        if not isinstance(help_text, str):
            listing.skipped.append(f"{where}: {name!r}: 'help' must be a string")
            continue
        seen.add(name)
        listing.commands.append({"name": name, "help": help_text.strip()})
    return listing


def handshake_commands(names: Iterable[str], sent: Any) -> list[dict[str, str]]:
    """The commands a handshake declares, as `[{name, help}]`.

    `names` are the (already validated) names of `capabilities.commands`; `sent` is the
    handshake as the plugin wrote it, where an entry may be an object `{"name", "help"}` (the
    Go devctl's later form) whose help text the normalized handshake does not keep."""
    helps: dict[str, str] = {}
    caps = sent.get("capabilities") if isinstance(sent, dict) else None
    entries = caps.get("commands") if isinstance(caps, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        name, text = (entry.get("name"), entry.get("help")) if isinstance(entry, dict) else (None, None)
        if isinstance(name, str) and isinstance(text, str):
            helps.setdefault(name, text.strip())
    return [{"name": name, "help": helps.get(name, "")} for name in dict.fromkeys(names)]


def add_declared(listing: Listing, declared: list[dict[str, str]]) -> None:
    """Add the handshake's commands that `commands.list` did not list (its help wins for the rest).

    A command declared in the handshake runs whether or not the plugin answers `commands.list`,
    as the protocol document promises; a name that cannot be a CLI word is skipped with a reason."""
    listed = {entry["name"] for entry in listing.commands}
    for index, entry in enumerate(declared):
        name = entry["name"]
        if name in listed:
            continue
        problem = name_problem(name)
        if problem is not None:
            listing.skipped.append(f"handshake capabilities.commands[{index}]: {problem}")
            continue
        listed.add(name)
        listing.commands.append(dict(entry))


# PluginCommand and Collision are immutable records (`util.records.Record`), not frozen
# dataclasses (methods compiled from source at import, ~1.5 ms a class) nor `typing.NamedTuple`
# (which imports `typing` before a plugin command's plugins are spawned).


class PluginCommand(Record):
    __slots__ = ("name", "help", "plugin")
    name: str
    help: str
    plugin: str

    def __init__(self, name: str, help: str, plugin: str) -> None:  # noqa: A002 (the field's name)
        _set(self, "name", name)
        _set(self, "help", help)
        _set(self, "plugin", plugin)


class Collision(Record):
    __slots__ = ("name", "winner", "loser")
    name: str
    winner: str  # a plugin id, or BUILTIN
    loser: str  # the plugin whose command is hidden

    def __init__(self, name: str, winner: str, loser: str) -> None:
        _set(self, "name", name)
        _set(self, "winner", winner)
        _set(self, "loser", loser)

    def message(self, *, strict: bool = False) -> str:
        if self.winner == BUILTIN:
            text = f"plugin {self.loser!r} declares command {self.name!r}, which is a built-in command"
            return text if strict else f"{text}: the built-in wins"
        text = f"plugins {self.winner!r} and {self.loser!r} both declare command {self.name!r}"
        return text if strict else f"{text}: {self.winner!r} wins (first in priority, id order)"


class Resolution(Fields):
    """Which plugin serves each command name, the names taken twice, and what was wrong."""

    __slots__ = ("commands", "collisions", "problems")
    commands: dict[str, PluginCommand]  # in (priority, id) order
    collisions: list[Collision]
    problems: list[str]  # failed plugins and skipped names

    def __init__(self, commands: dict[str, PluginCommand] | None = None,
                 collisions: list[Collision] | None = None, problems: list[str] | None = None) -> None:
        self.commands = {} if commands is None else commands
        self.collisions = [] if collisions is None else collisions
        self.problems = [] if problems is None else problems

    def warnings(self) -> list[str]:
        return [*self.problems, *(c.message() for c in self.collisions)]

    def check_strict(self) -> None:
        """Strict mode: any collision is an error naming every party."""
        if self.collisions:
            raise OperationFailed(
                "plugin command collision (strict mode)",
                details=[c.message(strict=True) for c in self.collisions]
                + ["rename the command in one plugin, or drop --strict and set strictness: warn"],
            )


def resolve(listings: Iterable[Listing], builtins: Iterable[str]) -> Resolution:
    """Winners per name: a built-in beats every plugin; among plugins, first in (priority, id)."""
    reserved = set(builtins)
    res = Resolution()
    for listing in sorted(listings, key=lambda item: (item.priority, item.plugin)):
        if listing.error:
            what = ("only the commands its handshake declares are used" if listing.commands
                    else "its commands are skipped")
            res.problems.append(f"{listing.error} ({what}; `devctl plugins list` shows why)")
        for reason in listing.skipped:
            res.problems.append(f"plugin {listing.plugin!r}: {reason}; skipped")
        for entry in listing.commands:
            name = entry["name"]
            if name in reserved:
                res.collisions.append(Collision(name, BUILTIN, listing.plugin))
            elif name in res.commands:
                res.collisions.append(Collision(name, res.commands[name].plugin, listing.plugin))
            else:
                res.commands[name] = PluginCommand(name, entry.get("help", ""), listing.plugin)
    return res
