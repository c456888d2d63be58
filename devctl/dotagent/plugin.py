"""A dotagent plugin handle: `info`, `validate` and `invoke` with every failure made readable.

`call` runs processes, `checks` judges documents; this module decides what a failure *means*
and how it reads. Every verb returns an `Outcome` — a uniform verdict (ok or not, why,
the plugin's `suggest`, its stderr tail) — so the runner, the preflight bridge, the
notifier bridge, doctor and the CLI all report failures the same way. Only `info`
raises (`PluginError`): without a valid `info` nothing else can be trusted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devctl.dotagent import call as _call
from devctl.dotagent import discovery
from devctl.dotagent.spec import (
    InfoError,
    PluginInfo,
    ReplyError,
    check_info,
    check_reply,
    config_errors,
    salvage,
)
from devctl.errors import EXIT_FAILED, ConfigError, PluginError
from devctl.procs.exits import describe_exit

STDERR_TAIL_LINES = 10


@dataclass
class Outcome:
    """The verdict of one verb call (or of the schema check standing in for it)."""

    plugin: str
    verb: str
    ok: bool
    error: str | None = None
    suggest: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: Itemised problems (schema errors, each with its JSON path).
    problems: list[str] = field(default_factory=list)
    exit_code: int | None = None
    stderr_tail: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    #: True when the plugin broke the protocol (timeout, bad JSON, no `ok`...), as
    #: opposed to answering `ok: false` properly.
    broken: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.ok:
            return f"{self.plugin} {self.verb}: ok"
        return f"{self.plugin} {self.verb}: {self.error or 'failed'}"

    def details(self, *, with_stderr: bool = True) -> list[str]:
        lines = [f"- {p}" for p in self.problems]
        if self.suggest:
            lines.append(f"suggest: {self.suggest}")
        if with_stderr and self.stderr_tail and not self.ok:
            lines.append("last stderr lines:")
            lines += [f"  {ln}" for ln in self.stderr_tail]
        return lines + self.notes

    def as_dict(self) -> dict[str, Any]:
        return {
            "plugin": self.plugin,
            "verb": self.verb,
            "ok": self.ok,
            "error": self.error,
            "suggest": self.suggest,
            "extra": self.extra,
            "problems": self.problems,
            "exit_code": self.exit_code,
            "stderr_tail": self.stderr_tail,
            "duration_s": round(self.duration_s, 3),
            "broken": self.broken,
            "notes": self.notes,
        }


class Plugin:
    """One resolved `dotagent-plugin-<name>` executable."""

    def __init__(
        self,
        name: str,
        path: Path,
        *,
        source: str = "",
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ):
        self.name, self.path, self.source = name, Path(path), source
        self.env, self.cwd = env, cwd
        self._info: PluginInfo | None = None

    def __repr__(self) -> str:
        return f"Plugin({self.name!r}, {str(self.path)!r})"

    # -- verbs ---------------------------------------------------------------------------
    def info(self, *, timeout: float | None = None) -> PluginInfo:
        """Run and check `info` (cached). Raises PluginError naming every problem."""
        if self._info is not None:
            return self._info
        limit = _call.timeout_for("info", timeout)
        res = self._run("info", None, limit)
        failure = self._failure_of(res, limit)
        if failure is not None:
            raise PluginError(self.name, f"info: {failure.error}", details=failure.details())
        try:
            self._info = check_info(res.reply)
        except InfoError as exc:
            raise PluginError(
                self.name, "info: invalid metadata", details=[f"- {p}" for p in exc.problems]
            ) from None
        return self._info

    def check_config(self, config: Any) -> Outcome:
        """The config against `info.schema` (no plugin call beyond `info`)."""
        info = self.info()
        problems = config_errors(info.schema, config)
        if problems:
            return Outcome(
                self.name, "schema", False,
                error=f"config does not match the plugin's schema ({len(problems)} error(s))",
                problems=problems,
            )
        return Outcome(self.name, "schema", True)

    def validate(self, config: Any, *, timeout: float | None = None) -> Outcome:
        """Schema first (every error with its path), then the plugin's own `validate`."""
        try:
            checked = self.check_config(config)
        except PluginError as exc:
            return Outcome(self.name, "validate", False, error=exc.message, problems=exc.details, broken=True)
        if not checked.ok:
            checked.verb = "validate"
            return checked
        return self._verdict("validate", config, _call.timeout_for("validate", timeout))

    def invoke(self, payload: dict[str, Any], *, timeout: float | None = None) -> Outcome:
        """`invoke` with a full InvokePayload; the default timeout follows `payload["kind"]`."""
        use = str(payload.get("kind", "notify"))
        return self._verdict("invoke", payload, _call.timeout_for(use, timeout))

    # -- internals -----------------------------------------------------------------------
    def _run(self, verb: str, payload: Any, timeout: float) -> _call.CallResult:
        return _call.call_verb(self.path, verb, payload, timeout=timeout, env=self.env, cwd=self.cwd)

    def _verdict(self, verb: str, payload: Any, timeout: float) -> Outcome:
        res = self._run(verb, payload, timeout)
        failure = self._failure_of(res, timeout)
        if failure is not None:
            return failure
        try:
            reply = check_reply(res.reply)
        except ReplyError as exc:
            return self._outcome(res, ok=False, error=str(exc), broken=True)
        error = reply.error
        if not reply.ok and not error:
            error = "the plugin answered ok: false without an error message"
        return self._outcome(res, ok=reply.ok, error=error, suggest=reply.suggest, extra=reply.extra)

    def _failure_of(self, res: _call.CallResult, timeout: float) -> Outcome | None:
        """Process-level failures, or None when stdout holds a JSON document from exit 0."""
        if res.spawn_error:
            return self._outcome(res, ok=False, error=f"{res.spawn_error} ({self.path})", broken=True)
        if res.timed_out:
            # Name the limit that was exceeded, not the wall time (which adds the kill grace).
            return self._outcome(
                res, ok=False, broken=True,
                error=f"{res.verb} did not answer within {timeout:g}s; its process group was stopped",
            )
        if res.stdout_overflow:
            return self._outcome(res, ok=False, error=res.parse_error, broken=True)
        if res.returncode != 0:
            err, suggest = salvage(res.reply)
            code = res.returncode
            how = describe_exit(code)
            return self._outcome(
                res, ok=False, error=f"{err} ({how})" if err else how, suggest=suggest,
                extra=_extra_of(res.reply),
            )
        if res.parse_error:
            return self._outcome(res, ok=False, error=res.parse_error, broken=True)
        return None

    def _outcome(self, res: _call.CallResult, **kw: Any) -> Outcome:
        notes = list(res.notes)
        if res.stderr_truncated:
            notes.append(f"stderr exceeded {_call.MAX_STDERR_BYTES} bytes; only its tail was kept")
        return Outcome(
            plugin=self.name, verb=res.verb, exit_code=res.returncode,
            stderr_tail=res.stderr_tail(STDERR_TAIL_LINES), duration_s=res.duration_s, notes=notes, **kw,
        )


def _extra_of(doc: Any) -> dict[str, Any]:
    if isinstance(doc, dict):
        return {k: v for k, v in doc.items() if k not in ("ok", "error", "suggest")}
    return {}


class PluginNotFound(ConfigError):
    """No executable for a plugin reference. Exit 1, as upstream dotagent's CLI exits for it
    (a missing plugin is a failure to do the job, not a malformed command line)."""

    exit_code = EXIT_FAILED


def open_plugin(
    ref: str,
    *,
    base_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    system_dirs: Sequence[str] | None = None,
    cwd: Path | None = None,
) -> Plugin:
    """Resolve a plugin reference (bare name → discovery, path → that file) or raise
    PluginNotFound (a ConfigError for a reference that is not a valid plugin name).
    `cwd` is where its calls run, so relative paths in a config mean the same as in the file
    that holds it."""
    found = discovery.resolve(ref, base_dir=base_dir, env=env, system_dirs=system_dirs)
    if found is None:
        if "/" in ref:
            raise PluginNotFound(f"dotagent plugin {ref!r}: no executable file at that path")
        if not discovery.valid_name(ref):
            raise ConfigError(f"dotagent plugin {ref!r}: not a valid plugin name")
        raise PluginNotFound(
            f"dotagent plugin {ref!r} not found: no executable {discovery.PREFIX}{ref}",
            details=[f"searched: {discovery.describe_search(env, system_dirs=system_dirs)}"],
        )
    return Plugin(ref, found.path, source=found.source, env=env, cwd=cwd)


def make_payload(
    kind: str, agent: str, schedule: str, event: str, message: str | None, config: Any
) -> dict[str, Any]:
    """An InvokePayload with exactly the spec's fields (strict on what we send). `message` is
    None (JSON null) where upstream sends none: a preflight's."""
    return {"kind": kind, "agent": agent, "schedule": schedule, "event": event,
            "message": message, "config": config if isinstance(config, dict) else {}}
