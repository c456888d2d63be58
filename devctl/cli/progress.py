"""How progress is shown: a spinner on a terminal, plain lines in CI logs, JSON lines for tools.

The pipeline reports what happens as plain event dicts (`devctl.pipeline.runner.EventCallback`);
this module turns them into output. Three modes:

- `live`: a terminal. A spinner names the running phase; each step's result is printed above it.
- `plain`: stderr is not a terminal, or `CI` is set (GitHub Actions, GitLab CI and most others set
  `CI=true`). One line per phase and per plugin as it starts and ends, one per step with its
  verdict, time and the step's own `message` / `skipped`, so a 3 s build is never silent.
- `json`: `up --progress json`. Every event as one JSON object per line on stdout, for tools
  that wrap devctl; messages and errors stay on stderr. Documented in docs/progress.md.
"""

from __future__ import annotations

import json
import os
import sys
import time

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any

MODES = ("auto", "live", "plain", "json")
PROGRESS_HELP = ("How to show progress: auto (a live display on a terminal, plain lines when piped or "
                 "under CI=true), plain, or json (one event per line on stdout, for tools).")


def in_ci() -> bool:
    """`CI` set to anything but an explicit no: the convention of every hosted CI service."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def stderr_is_terminal() -> bool:
    """rich's `Console(stderr=True).is_terminal`, without importing rich (~30 ms): a piped or
    CI run shows plain lines and never needs it (`devctl.cli.plain.is_terminal`'s rules)."""
    from devctl.cli.plain import is_terminal

    return is_terminal(sys.stderr)


def resolve(requested: str | None) -> str:
    """`auto` (or None) → live on a terminal outside CI, plain otherwise."""
    if requested in ("live", "plain", "json"):
        return requested
    return "live" if stderr_is_terminal() and not in_ci() else "plain"


def plain_line(line: str) -> None:
    """One progress line on stderr, as `err().print(Text(line), soft_wrap=True)` writes it
    without a terminal, but without importing rich (piped and CI runs never need it)."""
    from devctl.cli.plain import clean

    sys.stderr.write(clean(line) + "\n")
    sys.stderr.flush()


def check(value: str) -> str:
    """typer callback for `--progress`."""
    import typer

    if value not in MODES:
        raise typer.BadParameter(f"{value!r}: expected one of {', '.join(MODES)}")
    return value


def seconds(ms: Any) -> str:
    return f"{ms / 1000:.2f} s" if isinstance(ms, (int, float)) else "-"


def step_verdict(step: dict[str, Any]) -> str:
    """`ok`, `skipped`, or `FAILED <error>`: a skipped step says so instead of looking like a run."""
    if not step.get("ok", True):
        error = step.get("error")
        if isinstance(error, dict):
            error = error.get("message") or error.get("code")
        return f"FAILED {error or ''}".strip()
    return "skipped" if step.get("skipped") else "ok"


def step_line(event: dict[str, Any]) -> str:
    """`step compile ok in 1.23 s: compiled 12 files` (message and time only when given)."""
    line = f"step {event['name']} {step_verdict(event)}"
    if isinstance(event.get("duration_ms"), (int, float)):
        line += f" in {seconds(event['duration_ms'])}"
    message = event.get("message")
    if message:
        line += f": {message if isinstance(message, str) else json.dumps(message)}"
    return line


def emit_json(event: dict[str, Any], t0: float | None = None) -> None:
    """One event, one line, on stdout, flushed at once (a wrapping tool reads it live)."""
    if t0 is not None:
        event = {**event, "elapsed_ms": round((time.time() - t0) * 1000)}
    sys.stdout.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


class PipelineProgress:
    """The pipeline's events, shown in one of the modes. Use as a context manager around
    `run_pipeline(..., on_phase=p.phase, on_event=p.event)`."""

    def __init__(self, mode: str, *, label: str = "running the pipeline…", t0: float | None = None,
                 live_steps: bool = True):
        self.mode = mode
        self.live_steps = live_steps  # off where a table of the steps follows (build, prepare)
        self.label = label
        self.t0 = time.time() if t0 is None else t0
        self._status: Any = None

    @property
    def console(self) -> Any:
        """The stderr console (rich), for the live display only: plain and json modes write
        their lines themselves, so a piped run does not import rich for its progress."""
        from devctl.cli.output import err

        return err()

    def __enter__(self) -> PipelineProgress:
        if self.mode == "live":
            self._status = self.console.status(self.label)
            self._status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)
            self._status = None

    def phase(self, phase: str) -> None:
        if self._status is not None:
            self._status.update(f"{phase}…")

    def event(self, event: dict[str, Any]) -> None:
        if self.mode == "json":
            emit_json(event, self.t0)
            return
        kind = event.get("event")
        if self.mode == "live":  # the spinner says what runs; only results are kept on screen
            if kind == "step" and self.live_steps:
                from rich.text import Text

                style = "red" if not event.get("ok", True) else "dim" if event.get("skipped") else ""
                text = f"{event['phase']}  {event['plugin']}: {step_line(event)}"
                self.console.print(Text(text, style=style))
            return
        phase = event.get("phase", "")
        if kind == "phase_start":
            line = f"{phase}: started"
        elif kind == "phase_end":
            verdict = "done" if event.get("ok") else "FAILED"
            line = f"{phase}: {verdict} in {seconds(event.get('duration_ms'))}"
        elif kind == "plugin_start":
            line = f"{phase}: plugin {event['plugin']} started"
        elif kind == "plugin_end":
            line = f"{phase}: plugin {event['plugin']} answered in {seconds(event.get('duration_ms'))}"
        elif kind == "step":
            line = f"{phase}: plugin {event['plugin']}: {step_line(event)}"
        else:
            return
        plain_line(line)
