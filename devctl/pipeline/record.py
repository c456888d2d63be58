"""The record of the last pipeline run: `.devctl/pipeline.json`, written by `up` and `plan`.

Why a file: the pipeline's progress scrolls past in a terminal and is gone, yet "why did my last
`up` fail, which step took 40 s, what did the validator say, what did that plugin print on
stderr" are asked later, from another terminal — `devctl tui`'s pipeline and plugins views read
this file. It holds the phases in order (duration, ok / failed / skipped / not run, each plugin's
time, each step with its message), the validation findings grouped by plugin, the failure that
ended the run (message, plugin, code, details), the planned service names, and every plugin's
handshake (ops, streams, commands) and last stderr lines. No config values and no service
environments: a record must never leak a secret the plan carried.

The runner's hook stays a few lines (`runner.run_pipeline`): a `Recorder` follows the progress
events (it wraps `on_event`), is handed the started clients, and writes the file when the run
ends, however it ends. Building the record is a pure function (`build_record`) so it is tested
without a process. Stdlib only, imported only when a run is recorded. The format is documented in
docs/supervisor.md ("Files under `.devctl/`"); `version` changes when a field changes meaning.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from devctl.pipeline import PHASES

#: The file name under `.devctl/`.
RECORD_NAME = "pipeline.json"
#: The record format; readers ignore a record of another version rather than misread it.
VERSION = 1
#: Stderr lines kept per plugin (what `devctl -v` would have shown last).
STDERR_LINES = 20

#: Why a requested phase did not run, per reason (the views print these words).
NOT_REQUESTED = {
    "up": "skipped (--skip-{short})",
    "plan": "not part of `devctl plan`",
}

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any, Protocol

    Event = dict[str, Any]

    class ClientLike(Protocol):
        """What the record reads from a started plugin (`devctl.plugins.client.PluginClient`)."""

        pid: int
        handshake: dict[str, Any]
        ops: frozenset[str]
        streams: frozenset[str]
        commands: list[str]
        warnings: list[str]

        @property
        def spec(self) -> Any: ...

        def stderr_tail(self, n: int = ...) -> list[str]: ...


def record_path(repo_root: Path) -> Path:
    from devctl.statedir import state_dir

    return state_dir(repo_root) / RECORD_NAME


class Recorder:
    """Follows one pipeline run and writes its record when it ends (`finish`)."""

    def __init__(self, cfg: Any, opts: Any, on_event: Callable[[Event], None] | None = None):
        self.cfg = cfg
        self.opts = opts
        self.events: list[Event] = []
        self.clients: Sequence[ClientLike] = ()
        self.started = time.time()
        self._t0 = time.monotonic()
        self._forward = on_event

    def on_event(self, event: Event) -> None:
        """The run's progress callback: keep the event (with its time), then pass it on."""
        self.events.append({**event, "at_ms": round((time.monotonic() - self._t0) * 1000)})
        if self._forward is not None:
            self._forward(event)

    def finish(self, result: Any, error: BaseException | None) -> str | None:
        """Write the record; return a note for the user when it could not be written.

        A record that cannot be written (a read-only checkout, a `.devctl` that is not ours) must
        not fail the run it describes: the caller shows the note and goes on."""
        try:
            record = build_record(
                command=str(self.opts.record_as), phases=tuple(self.opts.phases), events=self.events,
                specs=list(getattr(self.cfg, "all_plugins", self.cfg.plugins)), clients=self.clients,
                result=result, error=error, started=self.started,
                duration_ms=round((time.monotonic() - self._t0) * 1000),
                dry_run=bool(self.opts.dry_run), strict=bool(self.opts.strict),
            )
            write_record(self.cfg.repo_root, record)
        except Exception as exc:  # noqa: BLE001 - OSError, the state dir's DevctlError: the run goes on
            return f"the record of this run was not written ({record_path(self.cfg.repo_root)}): {exc}"
        return None


def write_record(repo_root: Path, record: dict[str, Any]) -> Path:
    """Replace `.devctl/pipeline.json` atomically (a reader never sees half a record)."""
    from devctl.statedir import ensure_state_dir
    from devctl.util.atomic import write_atomic

    ensure_state_dir(repo_root)
    path = record_path(repo_root)
    # No fsync: the record of a run is worth nothing after a machine crash, and `up` is timed. One
    # line, not indented: the C encoder then does it all (0.1 ms instead of 0.6 ms); `jq .` reads it.
    write_atomic(path, json.dumps(record, default=str) + "\n", mode=0o600, durable=False)
    return path


def read_record(repo_root: Path) -> dict[str, Any] | None:
    """The last run's record, or None when there is none (or one this devctl cannot read)."""
    try:
        data = json.loads(record_path(repo_root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    return data


# -- building the record (pure) -------------------------------------------------------------


def build_record(*, command: str, phases: tuple[str, ...], events: list[Event], specs: list[Any],
                 clients: Iterable[ClientLike], result: Any, error: BaseException | None,
                 started: float, duration_ms: int, dry_run: bool = False,
                 strict: bool = False) -> dict[str, Any]:
    """The record of one run, from what the recorder saw. `result` is the PipelineResult so far
    (its steps, findings, notes and services), also when `error` ended the run."""
    clients = list(clients)
    failure = _failure(error)
    valid = bool(getattr(result, "valid", True))
    return {
        "version": VERSION,
        "command": command,
        "started": started,
        "duration_ms": duration_ms,
        "ok": error is None and valid,
        "dry_run": dry_run,
        "strict": strict,
        "phases": _phases(command, phases, events, clients, valid=valid, failed=error is not None,
                          planned=bool(getattr(result, "services", None))),
        "validation": {"valid": valid, "by_plugin": group_findings(
            list(getattr(result, "errors", [])), list(getattr(result, "warnings", [])))},
        "failure": failure,
        "notes": [str(n) for n in getattr(result, "notes", [])],
        "services": [{"name": s.get("name"), "plugin": s.get("plugin")}
                     for s in getattr(result, "services", []) if isinstance(s, dict)],
        "plugins": _plugins(specs, clients, failure),
    }


def group_findings(errors: list[dict[str, Any]], warnings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors and warnings, one entry per plugin in the order they first appear."""
    groups: dict[str, dict[str, Any]] = {}
    for kind, items in (("errors", errors), ("warnings", warnings)):
        for item in items:
            plugin = str(item.get("plugin") or "?")
            group = groups.setdefault(plugin, {"plugin": plugin, "errors": [], "warnings": []})
            group[kind].append({k: v for k, v in item.items() if k != "plugin"})
    return list(groups.values())


def _phases(command: str, requested: tuple[str, ...], events: list[Event], clients: list[ClientLike], *,
            valid: bool, failed: bool, planned: bool = False) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for event in events:
        phase = event.get("phase")
        if phase not in PHASES:
            continue
        entry = seen.setdefault(phase, {"plugins": [], "steps": []})
        kind = event.get("event")
        if kind == "phase_start":
            entry["status"] = "running"  # a run killed mid-phase leaves it so
            entry["at_ms"] = event.get("at_ms")
        elif kind == "phase_end":
            entry["status"] = "ok" if event.get("ok") else "failed"
            entry["duration_ms"] = event.get("duration_ms")
        elif kind == "plugin_end":
            entry["plugins"].append({"plugin": event.get("plugin"), "duration_ms": event.get("duration_ms")})
        elif kind == "step":
            entry["steps"].append({k: v for k, v in event.items() if k not in ("event", "phase", "at_ms")})
    # The last phase that announced itself: a phase before it that nobody declared did run (empty).
    reached = max((PHASES.index(p) for p in seen), default=-1)
    out = []
    for index, phase in enumerate(PHASES):
        entry = {"phase": phase, "status": "", "duration_ms": None, "reason": "", "plugins": [], "steps": [],
                 **seen.get(phase, {})}
        if phase not in requested:
            entry["status"] = "skipped"
            entry["reason"] = NOT_REQUESTED.get(command, "not requested").format(short=phase.split(".")[0])
        elif phase in seen:
            if entry["status"] == "failed" and not entry["reason"]:
                entry["reason"] = "failed: see the failure below"
        elif phase == "launch.plan" and not valid:
            entry["status"] = "not_run"
            entry["reason"] = "validation failed: no plan is asked for an invalid setup"
        elif failed and not (clients and not any(_declares(c, phase) for c in clients) and index < reached):
            entry["status"] = "not_run"
            entry["reason"] = "the run stopped before it"
        else:
            entry["status"] = "empty"
            entry["reason"] = "no enabled plugin declares it"
            if phase == "launch.plan" and planned:  # it ran: `.devctl.yaml` services are planned there
                entry["reason"] += "; the services come from .devctl.yaml"
        out.append(entry)
    return out


def _declares(client: ClientLike, op: str) -> bool:
    return op in client.ops or op in client.streams


def _failure(error: BaseException | None) -> dict[str, Any] | None:
    if error is None:
        return None
    message = getattr(error, "message", None)
    if not isinstance(message, str):
        message = str(error) or type(error).__name__
    if isinstance(error, (KeyboardInterrupt,)) or type(error).__name__ == "CancelledError":
        message = "interrupted"
    return {
        "message": message,
        "kind": type(error).__name__,
        "plugin": getattr(error, "plugin", None),
        "code": getattr(error, "code", None),
        "op": getattr(error, "op", None),
        "details": [str(d) for d in getattr(error, "details", None) or []],
    }


def _plugins(specs: list[Any], clients: list[ClientLike],
             failure: dict[str, Any] | None) -> list[dict[str, Any]]:
    by_id = {c.spec.id: c for c in clients}
    out = []
    for spec in specs:
        client = by_id.get(spec.id)
        item: dict[str, Any] = {
            "id": spec.id, "path": str(spec.path), "args": [str(a) for a in getattr(spec, "args", [])],
            "priority": getattr(spec, "priority", 0), "enabled": bool(getattr(spec, "enabled", True)),
            "source": getattr(spec, "source", "config"), "started": client is not None,
            "pid": None, "handshake": None, "ops": [], "streams": [], "commands": [], "warnings": [],
            "stderr": [],
        }
        if client is not None:
            item.update(pid=client.pid, handshake=client.handshake, ops=sorted(client.ops),
                        streams=sorted(client.streams), commands=list(client.commands),
                        warnings=list(client.warnings), stderr=client.stderr_tail(STDERR_LINES))
        elif failure is not None and failure.get("plugin") == spec.id:
            # It failed to start: its stderr lines are in the failure's details (`<id> | <line>`).
            prefix = f"{spec.id} | "
            item["stderr"] = [d[len(prefix):] for d in failure["details"] if d.startswith(prefix)]
        out.append(item)
    return out
