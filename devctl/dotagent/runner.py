"""`devctl dotagent run MANIFEST`: one job of an agent, start to end, no daemon.

    check every plugin use (resolve, info, kind, platform, schema, validate) — exit 2 if not
    for each attempt (1 + max_retries):
        preflights in order; the first `ok: false` aborts the attempt → attempt_failed (+suggest)
        the command, in its own process group, killed at timeout_seconds → timed_out
        non-zero exit → attempt_failed
        pause retry_backoff_seconds before the next attempt
    success: on_success sinks get stdout (a sink failure → attempt_failed, the run stays a
             success), then `recovered` (if an attempt failed before) and `success`
    no attempt left: on_failure sinks and `given_up`
    exit code: 0 on success, the job's code on failure, 124 when the last attempt timed out

Notifiers get each event their `events` list names; delivery is best effort (a failing
notifier is reported and skipped, never retried, never changes the exit code).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from devctl.dotagent.jobproc import JobResult, resolve_command, run_job
from devctl.dotagent.manifest import Manifest, PluginUse
from devctl.dotagent.plugin import Outcome, Plugin, make_payload
from devctl.dotagent.use_check import check_use, format_findings
from devctl.errors import EXIT_FAILED, ConfigError
from devctl.findings import Finding
from devctl.procs.exits import describe_exit

#: Reporter: (level, text) with level in "info" | "warn" | "error" | "event".
Say = Callable[[str, str], None]


@dataclass
class RunReport:
    exit_code: int = 0
    attempts: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # what was sent to whom
    sink_failures: int = 0


class JobRunner:
    def __init__(
        self,
        manifest: Manifest,
        *,
        say: Say,
        env: Mapping[str, str] | None = None,
        system_dirs: Sequence[str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        on_stdout: Callable[[bytes], None] | None = None,
        on_stderr: Callable[[bytes], None] | None = None,
    ):
        self.m = manifest
        self.say = say
        self.env = dict(os.environ if env is None else env)
        self.system_dirs = system_dirs
        self.sleep = sleep
        self.on_stdout, self.on_stderr = on_stdout, on_stderr
        self.plugins: dict[tuple[str, int], Plugin] = {}
        self.report = RunReport()

    # -- preparation -----------------------------------------------------------------------
    def job_env(self) -> dict[str, str]:
        return {**self.env, **self.m.env}

    def argv(self) -> list[str]:
        exe = resolve_command(self.m.command, self.m.working_dir, self.job_env())
        if exe is None:
            raise ConfigError(
                f"{self.m.path}: [run].command: {self.m.command!r} not found "
                f"({'relative to ' + str(self.m.working_dir) if '/' in self.m.command else 'on PATH'})"
            )
        return [exe, *self.m.args]

    def prepare(self) -> list[Finding]:
        """Check every plugin use; ConfigError listing all errors if any. Returns warnings."""
        if not self.m.working_dir.is_dir():
            raise ConfigError(f"{self.m.path}: [run].working_dir: {self.m.working_dir} is not a directory")
        findings: list[Finding] = []
        for use in self.m.uses():
            checked = check_use(
                use.plugin, use.config, use.kind, f"{self.m.path.name} {use.where}",
                base_dir=self.m.path.parent, env=self.env, system_dirs=self.system_dirs,
            )
            findings += checked.findings
            if checked.plugin is not None:
                self.plugins[(use.table, use.index)] = checked.plugin
        errors = [f for f in findings if f.is_error]
        if errors:
            raise ConfigError(
                f"{self.m.path}: {len(errors)} plugin problem(s); nothing was run",
                details=format_findings(errors),
            )
        return [f for f in findings if not f.is_error]

    def plan(self) -> list[str]:
        """What `--dry-run` prints: no plugin is called and nothing is started."""
        from devctl.dotagent import discovery

        m = self.m
        lines = [f"agent {m.name} (schedule {m.schedule}) from {m.path}"]
        exe = resolve_command(m.command, m.working_dir, self.job_env())
        lines.append(f"run: {' '.join([exe or m.command + ' (NOT FOUND)', *m.args])}")
        lines.append(f"  in {m.working_dir}")
        if m.env:
            lines.append("  env: " + ", ".join(f"{k}={v}" for k, v in sorted(m.env.items())))
        lines.append(f"  timeout: {m.timeout_s:g}s" if m.timeout_s else "  timeout: none")
        lines.append(f"  attempts: {1 + m.max_retries}, {m.retry_backoff_s:g}s apart")
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
        attempts = 1 + self.m.max_retries
        failures = 0
        last: JobResult | None = None
        last_error = ""
        for attempt in range(1, attempts + 1):
            self.report.attempts = attempt
            if attempt > 1 and self.m.retry_backoff_s > 0:
                self.say("info", f"retrying in {self.m.retry_backoff_s:g}s")
                self.sleep(self.m.retry_backoff_s)
            tag = f"attempt {attempt}/{attempts}"
            blocked = self._preflights(tag)
            if blocked is not None:
                failures += 1
                last, last_error = None, blocked
                continue
            self.say("info", f"{tag}: running {' '.join(argv)}")
            last = run_job(argv, cwd=self.m.working_dir, env=self.job_env(), timeout=self.m.timeout_s,
                           on_stdout=self.on_stdout, on_stderr=self.on_stderr)
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
        self._sinks(self.m.on_failure, "given_up", body)
        self._notify("given_up", f"{self.m.name}: gave up after {attempts} attempt(s): {last_error}")
        return self.report

    def _preflights(self, tag: str) -> str | None:
        """Run preflights; the failure text (with suggest) of the first that fails, or None."""
        for use in self.m.preflight:
            plugin = self.plugins[(use.table, use.index)]
            outcome = plugin.invoke(self._payload(use, "preflight", ""), timeout=use.timeout_s)
            if not outcome.ok:
                text = f"preflight {use.plugin} failed: {outcome.error}"
                if outcome.suggest:
                    text += f" (suggest: {outcome.suggest})"
                self.say("error", f"{tag}: {text}")
                self._details(outcome)
                self._notify("attempt_failed", f"{self.m.name}: {tag}: {text}")
                return text
        return None

    def _failed(self, tag: str, res: JobResult) -> str:
        if res.timed_out:
            text = f"timed out after {self.m.timeout_s:g}s; the job's process group was stopped"
            event = "timed_out"
        elif res.spawn_error:
            text, event = res.spawn_error, "attempt_failed"
        else:
            code = res.returncode or 0
            text = describe_exit(code)
            event = "attempt_failed"
        self.say("error", f"{tag}: {text}")
        tail = _tail_section("stderr", res.stderr_tail, lines=5)
        self._notify(event, f"{self.m.name}: {tag}: {text}{tail}")
        return text

    def _succeeded(self, res: JobResult, attempt: int, failures: int) -> None:
        self.say("info", f"attempt {attempt}: succeeded in {res.duration_s:.1f}s")
        if res.truncated:
            self.say("warn", "stdout was larger than the capture limit; sinks get its beginning only")
        self._sinks(self.m.on_success, "success", res.stdout.decode("utf-8", "replace"))
        if failures:
            self._notify("recovered", f"{self.m.name}: succeeded on attempt {attempt} after "
                                      f"{failures} failed attempt(s)")
        self._notify("success", f"{self.m.name}: succeeded in {res.duration_s:.1f}s")
        self.report.exit_code = 0

    # -- plugins ---------------------------------------------------------------------------
    def _payload(self, use: PluginUse, event: str, message: str) -> dict[str, Any]:
        return make_payload(use.kind, self.m.name, self.m.schedule, event, message, use.config)

    def _sinks(self, uses: tuple[PluginUse, ...], event: str, message: str) -> None:
        for use in uses:
            if event not in use.events:
                continue
            outcome = self.plugins[(use.table, use.index)].invoke(
                self._payload(use, event, message), timeout=use.timeout_s
            )
            self._record(use, event, outcome)
            if outcome.ok:
                extra = f" {outcome.extra}" if outcome.extra else ""
                self.say("info", f"sink {use.plugin}: ok{extra}")
            else:
                self.report.sink_failures += 1
                self.say("error", f"sink {use.plugin} failed: {outcome.error} (the run itself stands)")
                self._details(outcome)
                self._notify("attempt_failed", f"{self.m.name}: sink {use.plugin} failed: {outcome.error}")

    def _notify(self, event: str, message: str) -> None:
        for use in self.m.notifiers:
            if event not in use.events:
                continue
            outcome = self.plugins[(use.table, use.index)].invoke(
                self._payload(use, event, message), timeout=use.timeout_s
            )
            self._record(use, event, outcome)
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
