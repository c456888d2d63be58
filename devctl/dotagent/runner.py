"""`devctl dotagent run MANIFEST`: one job of an agent, start to end, no daemon.

    check every plugin use (resolve, info, kind, platform, schema, validate) — exit 2 if not
    (exit 1 when a plugin is not found, as upstream's CLI)
    for each attempt (`max_retries` of them, upstream's meaning; 1 by default):
        preflights in order; the first `ok: false` blocks the attempt → event `preflight`
        the command (+ the schedule's args) with upstream's AGENT_* variables, in its own
        process group, killed at timeout_seconds → `timed_out`; non-zero exit → `attempt_failed`
        pause (retry_backoff_minutes / retry_backoff_seconds) before the next attempt
    success: on_success sinks get the last 500 lines of stdout, then `success`, then
             `recovered` (if an attempt failed before)
    no attempt left: `given_up`
    exit code: 0 on success, the job's code on failure, 124 when the last attempt timed out

Events go to the `[[on_failure]]` hooks and `[[notifiers]]` whose `events` name them (absent
or empty: all), as upstream's runner and daemon send them. Delivery is best effort (a failing
hook is reported and skipped, never retried, never changes the exit code).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devctl.dotagent.events import ATTEMPT_FAILED, GIVEN_UP, PREFLIGHT_EVENT, RECOVERED, SUCCESS, TIMED_OUT
from devctl.dotagent.jobproc import JobResult, resolve_command, run_job
from devctl.dotagent.manifest import Manifest, PluginUse
from devctl.dotagent.plugin import Outcome, Plugin, make_payload
from devctl.dotagent.use_check import NOT_FOUND, check_use, format_findings
from devctl.errors import EXIT_FAILED, ConfigError
from devctl.findings import Finding
from devctl.procs.exits import describe_exit

#: Reporter: (level, text) with level in "info" | "warn" | "error" | "event".
Say = Callable[[str, str], None]
#: How much of the job's stdout a success sink gets (upstream's tail).
SINK_TAIL_LINES = 500


@dataclass
class RunReport:
    exit_code: int = 0
    attempts: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # what was sent to whom
    sink_failures: int = 0


def tail_lines(text: str, n: int = SINK_TAIL_LINES) -> str:
    """The last `n` lines joined by newlines, no final newline (what upstream's runner sends)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    return "\n".join(lines[-n:] if n else [])


def slug_from_args(args: Sequence[str]) -> str:
    """Upstream's `AGENT_SLUG`: args without leading dashes, joined by `_`, lowercased, other
    characters than [a-z0-9_-] as `_`, runs of `_` collapsed and trimmed; `default` if empty."""
    parts = [a.lstrip("-") for a in args]
    joined = "_".join(p for p in parts if p).lower()
    slug = re.sub(r"_+", "_", re.sub(r"[^a-z0-9_-]", "_", joined, flags=re.ASCII)).strip("_")
    return slug or "default"


class JobRunner:
    def __init__(
        self,
        manifest: Manifest,
        *,
        say: Say,
        schedule_id: str | None = None,
        env: Mapping[str, str] | None = None,
        system_dirs: Sequence[str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        on_stdout: Callable[[bytes], None] | None = None,
        on_stderr: Callable[[bytes], None] | None = None,
    ):
        self.m = manifest
        self.say = say
        self.schedule = manifest.pick_schedule(schedule_id)
        self.env = dict(os.environ if env is None else env)
        self.system_dirs = system_dirs
        self.sleep, self.clock = sleep, clock
        self.on_stdout, self.on_stderr = on_stdout, on_stderr
        self.plugins: dict[tuple[str, int], tuple[Plugin, str]] = {}
        self.report = RunReport()

    # -- preparation -----------------------------------------------------------------------
    def job_env(self, tmpdir: Path | None = None, start: float | None = None) -> dict[str, str]:
        """The job's environment as upstream builds it: ours (unless `[env] inherit = false`),
        then the manifest's variables, then the AGENT_* variables."""
        base = dict(self.env) if self.m.inherit_env else {}
        return {**base, **self.m.env, **self.agent_vars(tmpdir, start)}

    def agent_vars(self, tmpdir: Path | None = None, start: float | None = None) -> dict[str, str]:
        """Upstream's AGENT_* variables (docs/dotagent.md lists them)."""
        slug = slug_from_args(self.schedule.args)
        return {
            "AGENT_NAME": self.m.name,
            "AGENT_HOME": str(self.m.path.parent.resolve()),
            "AGENT_TMPDIR": str(tmpdir) if tmpdir is not None else "",
            "AGENT_DRY_RUN": "false",
            "AGENT_SCHEDULE_ID": self.schedule.id,
            "AGENT_START_EPOCH": str(int(self.clock() if start is None else start)),
            "AGENT_SLUG": slug,
            "AGENT_HEARTBEAT_FILE": str(self.heartbeat_file(slug)),
            "AGENT_ARGV": json.dumps(list(self.schedule.args), separators=(",", ":"), ensure_ascii=False),
        }

    def heartbeat_file(self, slug: str) -> Path:
        """Where upstream's daemon keeps this agent's heartbeat (devctl names it, never writes it)."""
        home = self.env.get("DOTAGENT_HOME")
        root = Path(home) if home else Path(self.env.get("HOME") or Path.home()) / ".config" / "dotagent"
        return root / "state" / "agents" / self.m.name / f"{slug}.heartbeat.json"

    def argv(self) -> list[str]:
        env = self.job_env()
        # Without [env] inherit the job has no PATH of its own; the program is still looked up
        # on ours, as upstream's spawn does.
        lookup = env if "PATH" in env else {**env, "PATH": self.env.get("PATH", os.defpath)}
        exe = resolve_command(self.m.command, self.m.working_dir, lookup)
        if exe is None:
            raise ConfigError(
                f"{self.m.path}: [run].command: {self.m.command!r} not found "
                f"({'relative to ' + str(self.m.working_dir) if '/' in self.m.command else 'on PATH'})"
            )
        return [exe, *self.m.args, *self.schedule.args]

    def prepare(self) -> list[Finding]:
        """Check every plugin use; ConfigError listing all errors if any (exit 1 when a plugin
        is not found, as upstream's CLI, else 2). Returns warnings."""
        if not self.m.working_dir.is_dir():
            raise ConfigError(f"{self.m.path}: [run].working_dir: {self.m.working_dir} is not a directory")
        findings: list[Finding] = []
        for use in self.m.uses():
            checked = check_use(
                use.plugin, use.config, use.kinds, f"{self.m.path.name} {use.where}",
                base_dir=self.m.path.parent, env=self.env, system_dirs=self.system_dirs,
            )
            findings += checked.findings
            if checked.plugin is not None:
                self.plugins[(use.table, use.index)] = (checked.plugin, checked.kind)
        errors = [f for f in findings if f.is_error]
        if errors:
            raise ConfigError(
                f"{self.m.path}: {len(errors)} plugin problem(s); nothing was run",
                details=format_findings(errors),
                exit_code=EXIT_FAILED if any(f.code == NOT_FOUND for f in errors) else None,
            )
        return [f for f in findings if not f.is_error]

    def plan(self) -> list[str]:
        """What `--dry-run` prints: no plugin is called and nothing is started."""
        from devctl.dotagent import discovery

        m, sched = self.m, self.schedule
        lines = [f"agent {m.name} (schedule {sched.id}) from {m.path}"]
        env = self.job_env()
        lookup = env if "PATH" in env else {**env, "PATH": self.env.get("PATH", os.defpath)}
        exe = resolve_command(m.command, m.working_dir, lookup)
        lines.append(f"run: {' '.join([exe or m.command + ' (NOT FOUND)', *m.args, *sched.args])}")
        lines.append(f"  in {m.working_dir}")
        if not m.inherit_env:
            lines.append("  env: not inherited ([env] inherit = false)")
        if m.env:
            lines.append("  env: " + ", ".join(f"{k}={v}" for k, v in sorted(m.env.items())))
        lines.append(f"  timeout: {m.timeout_s:g}s" if m.timeout_s else "  timeout: none")
        pauses = m.backoff_for(sched)
        apart = ", ".join(f"{p:g}s" for p in pauses) + " apart" if pauses else "no pause"
        lines.append(f"  attempts: {m.attempts_for(sched)}, {apart}")
        for use in m.uses():
            found = discovery.resolve(use.plugin, base_dir=m.path.parent, env=self.env,
                                      system_dirs=self.system_dirs)
            where = str(found.path) if found else "NOT FOUND"
            events = f" events={list(use.events)}" if use.table != "preflight" else ""
            lines.append(f"{use.where}: {where}{events}")
        return lines

    # -- the job -------------------------------------------------------------------------
    def run(self) -> RunReport:
        argv = self.argv()
        for finding in self.prepare():
            self.say("warn", f"{finding.where}: {finding.message}")
        attempts = self.m.attempts_for(self.schedule)
        pauses = self.m.backoff_for(self.schedule)
        failures = 0
        last: JobResult | None = None
        last_error = ""
        for attempt in range(1, attempts + 1):
            self.report.attempts = attempt
            pause = pauses[min(attempt - 2, len(pauses) - 1)] if attempt > 1 and pauses else 0.0
            if pause > 0:
                self.say("info", f"retrying in {pause:g}s")
                self.sleep(pause)
            tag = f"attempt {attempt}/{attempts}"
            blocked = self._preflights(tag)
            if blocked is not None:
                failures += 1
                last, last_error = None, blocked
                continue
            self.say("info", f"{tag}: running {' '.join(argv)}")
            last = self._attempt(argv)
            if last.ok:
                self._succeeded(last, attempt, failures)
                return self.report
            failures += 1
            last_error = self._failed(tag, last)
        self.report.exit_code = last.exit_code() if last is not None else EXIT_FAILED
        self.say("error", f"gave up after {attempts} attempt(s): {last_error}")
        body = last_error
        if last is not None:
            body += _tail_section("stdout", last.stdout.decode("utf-8", "replace"))
            body += _tail_section("stderr", last.stderr_tail)
        self._sinks(self.m.on_failure, GIVEN_UP, body)
        self._notify(GIVEN_UP, f"{self.m.name}: gave up after {attempts} attempt(s): {last_error}")
        return self.report

    def _attempt(self, argv: list[str]) -> JobResult:
        """One run of the command, with a fresh AGENT_TMPDIR removed afterwards (as upstream)."""
        tmpdir = Path(tempfile.mkdtemp(prefix=f"dotagent-{slug_from_args([self.m.name])}-"))
        try:
            env = self.job_env(tmpdir, self.clock())
            return run_job(argv, cwd=self.m.working_dir, env=env, timeout=self.m.timeout_s,
                           on_stdout=self.on_stdout, on_stderr=self.on_stderr)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)

    def _preflights(self, tag: str) -> str | None:
        """Run preflights; the failure text (with suggest) of the first that fails, or None.
        A failure is sent as event `preflight` to on_failure hooks and notifiers, as upstream."""
        for use in self.m.preflight:
            plugin, kind = self.plugins[(use.table, use.index)]
            payload = make_payload(kind, self.m.name, self.schedule.id, PREFLIGHT_EVENT, None, use.config)
            outcome = plugin.invoke(payload, timeout=use.timeout_s)
            if not outcome.ok:
                text = f"preflight {use.plugin} failed: {outcome.error}"
                if outcome.suggest:
                    text += f" (suggest: {outcome.suggest})"
                self.say("error", f"{tag}: {text}")
                self._details(outcome)
                message = f"{self.m.name}: {tag}: {text}"
                self._sinks(self.m.on_failure, PREFLIGHT_EVENT, message)
                self._notify(PREFLIGHT_EVENT, message)
                return text
        return None

    def _failed(self, tag: str, res: JobResult) -> str:
        if res.timed_out:
            text = f"timed out after {self.m.timeout_s:g}s; the job's process group was stopped"
            event = TIMED_OUT
        elif res.spawn_error:
            text, event = res.spawn_error, ATTEMPT_FAILED
        else:
            code = res.returncode or 0
            text = describe_exit(code)
            event = ATTEMPT_FAILED
        self.say("error", f"{tag}: {text}")
        tail = _tail_section("stderr", res.stderr_tail, lines=5)
        message = f"{self.m.name}: {tag}: {text}{tail}"
        self._sinks(self.m.on_failure, event, message)
        self._notify(event, message)
        return text

    def _succeeded(self, res: JobResult, attempt: int, failures: int) -> None:
        self.say("info", f"attempt {attempt}: succeeded in {res.duration_s:.1f}s")
        if res.truncated:
            self.say("warn", "stdout was larger than the capture limit; sinks get its beginning only")
        self._sinks(self.m.on_success, SUCCESS, tail_lines(res.stdout.decode("utf-8", "replace")))
        self._notify(SUCCESS, f"{self.m.name}: succeeded in {res.duration_s:.1f}s")
        if failures:
            message = f"{self.m.name}: succeeded on attempt {attempt} after {failures} failed attempt(s)"
            self._sinks(self.m.on_failure, RECOVERED, message)
            self._notify(RECOVERED, message)
        self.report.exit_code = 0

    # -- plugins ---------------------------------------------------------------------------
    def _call(self, use: PluginUse, event: str, message: str) -> Outcome:
        plugin, kind = self.plugins[(use.table, use.index)]
        payload = make_payload(kind, self.m.name, self.schedule.id, event, message, use.config)
        outcome = plugin.invoke(payload, timeout=use.timeout_s)
        self._record(use, event, outcome)
        return outcome

    def _sinks(self, uses: tuple[PluginUse, ...], event: str, message: str) -> None:
        for use in uses:
            if event not in use.events:
                continue
            outcome = self._call(use, event, message)
            label = f"sink {use.plugin}" if event == SUCCESS else f"on_failure {use.plugin} ({event})"
            if outcome.ok:
                extra = f" {outcome.extra}" if outcome.extra else ""
                self.say("info", f"{label}: ok{extra}")
            else:
                self.report.sink_failures += 1
                self.say("error", f"{label} failed: {outcome.error} (the run itself stands)")
                self._details(outcome)
                if event == SUCCESS:
                    self._notify(ATTEMPT_FAILED, f"{self.m.name}: sink {use.plugin} failed: {outcome.error}")

    def _notify(self, event: str, message: str) -> None:
        for use in self.m.notifiers:
            if event not in use.events:
                continue
            outcome = self._call(use, event, message)
            if not outcome.ok:
                self.say("warn", f"notifier {use.plugin} ({event}): {outcome.error}")

    def _record(self, use: PluginUse, event: str, outcome: Outcome) -> None:
        self.report.events.append({"event": event, "plugin": use.plugin, "table": use.table,
                                   "ok": outcome.ok, "error": outcome.error, "extra": outcome.extra})

    def _details(self, outcome: Outcome) -> None:
        for line in outcome.details(with_stderr=True):
            if not line.startswith("suggest:"):
                self.say("detail", line)


def _tail_section(title: str, text: str, lines: int = 20) -> str:
    kept = [ln for ln in text.splitlines() if ln.strip()][-lines:]
    return f"\n--- last {title} lines ---\n" + "\n".join(kept) if kept else ""
