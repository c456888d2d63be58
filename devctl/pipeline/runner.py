"""Drive the plugins through the pipeline phases and fold their outputs into one result.

Each phase calls only the plugins that declared its op, in (priority, id) order, with one
deadline for the whole phase. Plugins are started once per run and always closed, also on
error or Ctrl-C (`open_plugins` owns that). Everything a plugin returns is checked before it
is used; a bad output fails with the plugin named and its last stderr lines attached.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping

from devctl.config import Config
from devctl.errors import DevctlError, OperationFailed, PluginError
from devctl.pipeline import PHASES, PipelineOptions, PipelineResult
from devctl.pipeline.merge import ArtifactMerge, NamedMerge
from devctl.pipeline.patch import apply_patch

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

    from devctl.pipeline.services import ServiceSpec
    from devctl.plugins.client import PluginClient
    from devctl.plugins.early import EarlyStarts

    StderrCallback = Callable[[str, str], None]
    PhaseCallback = Callable[[str], None]
    #: Progress for a display (the CLI's CI lines, `up --progress json`): one plain dict per
    #: event, see `docs/dev/contracts.md` ("Pipeline progress events"). Never raises into the run.
    EventCallback = Callable[[dict[str, Any]], None]


class _Run:
    """The state of one pipeline run: the current config and the merges so far."""

    def __init__(self, cfg: Config, opts: PipelineOptions, on_event: EventCallback | None = None):
        self.cfg = cfg
        self.opts = opts
        self.on_event = on_event
        self.config: dict[str, Any] = {}
        # Steps merge by name within a phase: build's "deps" and prepare's "deps" are two steps.
        self.steps: dict[str, NamedMerge[dict[str, Any]]] = {
            phase: NamedMerge("step", strict=opts.strict) for phase in ("build.run", "prepare.run")
        }
        self.artifacts = ArtifactMerge()
        self.services: NamedMerge[ServiceSpec] = NamedMerge("service", strict=opts.strict)
        self.valid = True
        self.errors: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []
        self.notes: list[str] = []

    def emit(self, event: str, **fields: Any) -> None:
        if self.on_event is not None:
            self.on_event({"event": event, **fields})

    def result(self) -> PipelineResult:
        return PipelineResult(
            config=self.config,
            steps=[step for merge in self.steps.values() for step in merge.values()],
            artifacts=dict(self.artifacts.artifacts),
            valid=self.valid,
            errors=self.errors,
            warnings=self.warnings,
            services=self.services.values(),
            collisions=[*(c for merge in self.steps.values() for c in merge.collisions),
                        *self.services.collisions],
            notes=[
                *self.notes,
                *(note for merge in self.steps.values() for note in merge.notes),
                *self.artifacts.notes,
                *self.services.notes,
            ],
        )

    # -- one handler per op: check the plugin's output, merge it ----------------------------

    def config_mutate(self, plugin: str, output: dict[str, Any]) -> None:
        self.config = apply_patch(self.config, output.get("config_patch"), plugin)

    def steps_run(self, plugin: str, output: dict[str, Any], phase: str) -> list[dict[str, Any]]:
        steps = output.get("steps") or []
        artifacts = output.get("artifacts") or {}
        if not isinstance(steps, list):
            raise PluginError(plugin, f"{phase}: 'steps' must be a list, got {type(steps).__name__}")
        if not isinstance(artifacts, dict):
            kind = type(artifacts).__name__
            raise PluginError(plugin, f"{phase}: 'artifacts' must be an object, got {kind}")
        failed = []
        for index, step in enumerate(steps):
            if not isinstance(step, dict) or not isinstance(step.get("name"), str) or not step["name"]:
                raise PluginError(plugin, f"{phase}: steps[{index}] must be an object with a 'name' string, "
                                  f"got {step!r}")
            ok = step.get("ok", True)
            if not isinstance(ok, bool):
                raise PluginError(plugin, f"{phase}: step {step['name']!r}: 'ok' must be true or false")
            merged = {**step, "ok": ok, "phase": phase, "plugin": plugin}
            self.steps[phase].add(step["name"], merged, plugin)
            if not ok:
                failed.append(merged)
        self.artifacts.add(artifacts, plugin)
        return failed

    def validate_run(self, plugin: str, output: dict[str, Any]) -> None:
        errors = [_finding(plugin, item, "error") for item in _list(output, "errors", plugin)]
        warnings = [_finding(plugin, item, "warning") for item in _list(output, "warnings", plugin)]
        valid = output.get("valid", not errors)
        if not isinstance(valid, bool):
            raise PluginError(plugin, f"validate.run: 'valid' must be true or false, got {valid!r}")
        self.valid = self.valid and valid
        self.errors += errors
        self.warnings += warnings

    def launch_plan(self, plugin: str, output: dict[str, Any]) -> None:
        from devctl.pipeline.services import normalize_service

        for index, raw in enumerate(_list(output, "services", plugin)):
            service = normalize_service(raw, plugin, self.cfg.repo_root, index=index)
            self.services.add(service["name"], service, plugin)


def _list(output: dict[str, Any], key: str, plugin: str) -> list[Any]:
    value = output.get(key) or []
    if not isinstance(value, list):
        raise PluginError(plugin, f"'{key}' must be a list, got {type(value).__name__}")
    return value


def _finding(plugin: str, item: Any, what: str) -> dict[str, Any]:
    """A validation error/warning, tagged with its plugin. A bare string is accepted as a message."""
    if isinstance(item, str):
        return {"plugin": plugin, "code": "", "message": item}
    if not isinstance(item, dict):
        raise PluginError(plugin, f"validate.run: each {what} must be an object, got {item!r}")
    rest = {k: v for k, v in item.items() if k not in ("plugin", "code", "message")}
    return {"plugin": plugin, "code": str(item.get("code") or ""), "message": str(item.get("message") or ""),
            **rest}


def _input(phase: str, run: _Run) -> dict[str, Any]:
    if phase in ("build.run", "prepare.run"):
        return {"config": run.config, "steps": list(run.opts.steps)}
    return {"config": run.config}


def _phase(phase: str, clients: list[Any], run: _Run) -> None:
    opts = run.opts
    deadline = time.monotonic() + opts.timeout
    reported: set[str] = set()
    if phase == "launch.plan":  # `.devctl.yaml` services first: every plugin's plan merges over them
        # Imported for this phase only: the service checks (and `services:`) are ~10 % of the
        # pipeline's imports, and a plugin command runs config.mutate alone.
        from devctl.pipeline import declared

        for service in declared.plan(run.cfg, run.config):
            run.services.add(service["name"], service, declared.PLUGIN)
    for client in clients:
        if not client.supports(phase):
            continue
        plugin = client.spec.id
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PluginError(plugin, f"{phase}: not started, the phase's --timeout of {opts.timeout:g}s "
                              "was used up by the plugins before it")
        run.emit("plugin_start", phase=phase, plugin=plugin)
        started = time.monotonic()
        output = client.request(phase, _input(phase, run), timeout=remaining, dry_run=opts.dry_run,
                                      cwd=os.getcwd())
        took_ms = round((time.monotonic() - started) * 1000)
        if not isinstance(output, dict):
            raise PluginError(plugin, f"{phase}: 'output' must be an object")
        try:
            if phase == "config.mutate":
                run.config_mutate(plugin, output)
            elif phase in ("build.run", "prepare.run"):
                failed = run.steps_run(plugin, output, phase)
                reported |= {s["name"] for s in output.get("steps") or []}
                for step in output.get("steps") or []:
                    run.emit("step", **_step_event(step, phase, plugin))
                if failed:
                    raise _step_failure(phase, failed, run)
            elif phase == "validate.run":
                run.validate_run(plugin, output)
            elif phase == "launch.plan":
                run.launch_plan(plugin, output)
        except DevctlError as exc:  # a bad output: show what the plugin said on stderr, too
            exc.details = [*exc.details, *(f"{plugin} | {line}" for line in client.stderr_tail())]
            raise
        finally:
            run.emit("plugin_end", phase=phase, plugin=plugin, duration_ms=took_ms)
    if phase in ("build.run", "prepare.run"):
        missing = [s for s in opts.steps if s not in reported]
        if missing:
            run.notes.append(f"{phase}: no plugin reported the requested step(s) {', '.join(missing)}")
    if phase == "validate.run":
        _preflights(run)
    if phase == "launch.plan":
        from devctl.pipeline.services import check_dependencies

        declared.check_dependencies(run.services.values(), run.cfg)
        check_dependencies(run.services.values())


def _step_event(step: dict[str, Any], phase: str, plugin: str) -> dict[str, Any]:
    """A step's own words for the progress display: its name, verdict, time, and the optional
    `message` / `skipped` fields a plugin may add (a skipped `initdb` must not look like a run one)."""
    event: dict[str, Any] = {"phase": phase, "plugin": plugin, "name": step["name"],
                             "ok": step.get("ok", True)}
    for key in ("skipped", "message", "duration_ms", "error"):
        if step.get(key) is not None:
            event[key] = step[key]
    return event


def _step_failure(phase: str, failed: list[dict[str, Any]], run: _Run) -> OperationFailed:
    names = ", ".join(repr(s["name"]) for s in failed)
    plugin = failed[0]["plugin"]
    exc = OperationFailed(f"{phase}: step {names} of plugin {plugin!r} failed")
    for step in failed:
        why = step.get("error") or step.get("message")
        if why:
            exc.details.append(f"{step['name']}: {why if isinstance(why, str) else repr(why)}")
    exc.result = run.result()  # type: ignore[attr-defined]  # the CLI still prints it with --json
    return exc


def _preflights(run: _Run) -> None:
    """dotagent preflight checks from `.devctl.yaml` (issue 6); their failures are validation errors."""
    if not run.cfg.preflight:
        return
    try:
        from devctl.dotagent.preflight import run_preflights
    except ModuleNotFoundError as exc:
        if exc.name not in ("devctl.dotagent", "devctl.dotagent.preflight"):
            raise
        run.notes.append("preflight checks in .devctl.yaml were skipped: this devctl has no dotagent support")
        return
    errors = run_preflights(run.cfg, dry_run=run.opts.dry_run)
    if errors:
        run.valid = False
        run.errors += [dict(e) for e in errors]


def run_pipeline(
    cfg: Config,
    opts: PipelineOptions,
    *,
    on_stderr: StderrCallback | None = None,
    on_phase: PhaseCallback | None = None,
    on_event: EventCallback | None = None,
    early: EarlyStarts | None = None,
    running: Mapping[str, PluginClient] | None = None,
    while_closing: Callable[[PipelineResult], object] | None = None,
) -> PipelineResult:
    """Run `opts.phases` (in pipeline order) over the enabled plugins of `cfg`.

    `on_event` gets the run's progress as it happens (`phase_start`, `plugin_start`, `step`,
    `plugin_end`, `phase_end`): a display for CI logs and wrapping tools; the result is the same.
    `early`: plugin processes the caller started ahead (`devctl.plugins.early.spawn_early`), so
    they started while devctl was still importing this; the caller closes it. `running`: plugins
    the caller has started and keeps (by id): used, not started, and left open.
    `while_closing(result)`: called once every phase is done, after the plugins were told there
    is nothing more (their stdin closed: they are exiting) and before devctl waits for them to
    end, so what the caller does next with the result overlaps their exit (`up` gets its plan
    ready: ~10 ms of a Python plugin's teardown). It must not raise for an ordinary outcome:
    what it raises is the run's failure.

    Raises PluginError (a plugin failed or returned a bad shape), OperationFailed (a strict
    collision, a step with ok: false), ConfigError (a bad service). An invalid validation does
    not raise: the caller decides what it means; but it ends the run there, so launch.plan is
    never sent after `valid: false` (the result then has no services).
    """
    from devctl.plugins import open_plugins

    unknown = [p for p in opts.phases if p not in PHASES]
    if unknown:
        raise ValueError(f"unknown phase(s): {', '.join(unknown)}")
    recorder = None
    if opts.record_as is not None:  # the record of this run, for `devctl tui` (pipeline/record.py)
        from devctl.pipeline.record import Recorder

        recorder = Recorder(cfg, opts, on_event)
        on_event = recorder.on_event
    run = _Run(cfg, opts, on_event)
    specs = sorted(cfg.plugins, key=lambda s: s.sort_key())
    if "launch.plan" in opts.phases:
        # Imported now, not when the phase starts: the plugins' interpreters are still starting
        # (they were spawned early), so this costs no wall time here, and after the handshakes
        # it would hold up the request.
        from devctl.pipeline import declared, services  # noqa: F401

    def on_warning(plugin: str, text: str) -> None:  # protocol warnings (junk from an idle plugin, ...)
        run.notes.append(text)

    try:
        # open_plugins hands the clients back in the order of `specs`: (priority, id).
        with open_plugins(specs, cfg.repo_root, on_stderr=on_stderr, on_warning=on_warning,
                                strict=opts.strict, early=early, running=running) as clients:
            if recorder is not None:
                recorder.clients = clients
            for phase in PHASES:
                if phase == "launch.plan" and not run.valid:
                    # Validation said no: a plan built on a broken setup is never asked for,
                    # so a plugin's plan error cannot hide the validation errors that explain it.
                    break
                if phase in opts.phases:
                    if on_phase is not None:
                        on_phase(phase)
                    _timed_phase(phase, clients, run)
            if while_closing is not None:
                from devctl.plugins import begin_close

                begin_close([client for client in clients if client.spec.id not in (running or {})])
                while_closing(run.result())
    except DevctlError as exc:  # what was noticed before the failure still matters
        exc.details = [*exc.details, *(f"warning: {note}" for note in run.result().notes)]
        raise
    finally:
        if recorder is not None and (note := recorder.finish(run.result(), sys.exc_info()[1])):
            run.notes.append(note)
    return run.result()


def _timed_phase(phase: str, clients: list[Any], run: _Run) -> None:
    """`_phase` between a `phase_start` and a `phase_end` event (which says whether it went well).
    A phase no plugin declares still runs (its checks) but is not announced: it does nothing."""
    if not any(client.supports(phase) for client in clients):
        _phase(phase, clients, run)
        return
    run.emit("phase_start", phase=phase)
    started = time.monotonic()
    ok = False
    try:
        _phase(phase, clients, run)
        ok = True
    finally:
        run.emit("phase_end", phase=phase, ok=ok, duration_ms=round((time.monotonic() - started) * 1000))
