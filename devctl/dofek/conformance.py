"""`devctl dofek check -- CMD ARGS...`: run one plugin the way the host does, then explain.

The plugin runs under the real `PluginRunner` (so `check` can never disagree with the
dashboard) for a few polls and a shutdown. An observer records everything the runner saw;
`findings()` turns that record into a list of findings, each with the fix. Pure apart from
`run_check`, so the wording of every finding is unit-testable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from devctl.dofek import frames
from devctl.dofek.config import PluginConf, resolve_command
from devctl.dofek.runner import SHUTDOWN_GRACE_S, PluginRunner
from devctl.findings import Finding
from devctl.protocol.ndjson import encode

#: A reply slower than this share of the timeout is reported (it will time out under load).
SLOW_SHARE = 0.5


@dataclass
class Record:
    """What happened while the plugin ran."""

    timeout_ms: int
    polls: int = 0
    reply_ms: list[float] = field(default_factory=list)
    timeouts: int = 0
    extra_lines: list[str] = field(default_factory=list)
    late: int = 0
    not_json: list[str] = field(default_factory=list)
    issues: dict[tuple[str, ...], frames.Issue] = field(default_factory=dict)
    replies: int = 0
    first_manifest: dict[str, Any] | None = None
    first_seen: bool = False
    dropped_pids: set[int] = field(default_factory=set)
    exits: list[str] = field(default_factory=list)
    too_long: str = ""
    shutdown_clean: bool | None = None
    reported_errors: list[str] = field(default_factory=list)
    stderr_tail: list[str] = field(default_factory=list)

    def observe(self, kind: str, **info: Any) -> None:
        if kind == "reply":
            self.reply_ms.append(info["ms"])
        elif kind == "timeout":
            self.timeouts += 1
        elif kind == "extra_line":
            self.extra_lines.append(info["line"])
        elif kind == "late":
            self.late += 1
        elif kind == "not_json":
            self.not_json.append(f"{info['message']}: {info['line'][:100]}")
        elif kind == "validated":
            result: frames.Validation = info["result"]
            self.replies += 1
            if info["first"]:
                self.first_seen = True
                raw = info["raw"]
                self.first_manifest = raw.get("manifest") if isinstance(raw, dict) else None
            for issue in result.issues:
                self.issues.setdefault(issue.key, issue)
            if result.response is not None and result.response.status == "error":
                self.reported_errors.append(result.response.message or "status error")
        elif kind == "dropped_pids":
            self.dropped_pids.update(info["pids"])
        elif kind == "exit":
            self.exits.append(info["reason"])
        elif kind == "too_long":
            self.too_long = info["message"]


async def run_check(argv: list[str], *, polls: int = 3, timeout_ms: int = 2000, interval_s: float = 0.2,
                    cwd: Path | None = None, name: str = "check") -> Record:
    """Spawn `argv`, send `polls` polls (with real processes), then shut it down."""
    from devctl.dofek.scan import Scanner, poll_processes

    base = (cwd or Path.cwd()).resolve()
    conf = PluginConf(name=name, command=argv[0], args=tuple(argv[1:]), timeout_ms=timeout_ms,
                      cwd=base, executable=resolve_command(argv[0], base))
    record = Record(timeout_ms=timeout_ms)
    runner = PluginRunner(conf, observer=record.observe)
    scanner = Scanner(gpu=False)
    async with anyio.create_task_group() as tg:
        await tg.start(runner.supervise)
        try:
            for _ in range(polls):
                if not runner.running:
                    break
                procs = scanner.scan()
                request = encode(frames.poll_request(int(time.time() * 1000), poll_processes(procs)))
                record.polls += 1
                outcome = await runner.poll(request, {p.pid for p in procs})
                if outcome in ("timeout", "stuck"):
                    # Keep the check short: one more chance for the late reply, then stop asking.
                    await anyio.sleep(min(timeout_ms / 1000, 1.0))
                    if outcome == "stuck":
                        break
                await anyio.sleep(interval_s)
            await anyio.sleep(0.1)  # let stray lines after the last reply arrive
        finally:
            with anyio.CancelScope(shield=True):
                was_running = runner.running
                await runner.shutdown(SHUTDOWN_GRACE_S)
            record.shutdown_clean = runner.shutdown_clean if was_running else None
            record.stderr_tail = runner.stderr_tail(10)
            tg.cancel_scope.cancel()
    return record


def findings(rec: Record) -> list[Finding]:
    """Everything `rec` shows the plugin doing outside the spec, each with its fix."""
    out: list[Finding] = []

    def add(severity: str, code: str, message: str, fix: str) -> None:
        out.append(Finding(severity, message, code=code, fix=fix))

    stderr_hint = f" Last stderr: {rec.stderr_tail[-1]}" if rec.stderr_tail else ""
    if rec.too_long:
        add("error", "line-too-long", rec.too_long,
            "Keep each reply under 1 MiB: send fewer or shorter panels, and never print bulk data on stdout.")
    if rec.exits and rec.exits[0].startswith("cannot start"):
        add("error", "cannot-start", rec.exits[0],
            "Check the command: a name must be on PATH, a path must exist and be executable "
            "(chmod +x, and a #! line for scripts).")
    elif rec.exits and not rec.too_long:
        add("error", "crashed", f"the plugin exited while being polled ({rec.exits[0]}).{stderr_hint}",
            "Keep reading stdin until it closes or a shutdown arrives; catch errors per poll "
            "and skip lines you cannot parse instead of exiting.")
    if rec.timeouts:
        add("error", "timeout",
            f"{rec.timeouts} of {rec.polls} polls got no reply within timeout_ms={rec.timeout_ms}",
            "Flush stdout after every reply (print(..., flush=True); PYTHONUNBUFFERED=1) and answer "
            "each poll promptly; do slow work in the background and report its last result.")
    if rec.reply_ms:
        slowest = max(rec.reply_ms)
        if slowest > rec.timeout_ms * SLOW_SHARE and not rec.timeouts:
            add("warning", "slow-reply",
                f"slowest reply took {slowest:.0f} ms, over half of timeout_ms={rec.timeout_ms}",
                "Answer from cached data and refresh it in the background, "
                "or raise timeout_ms in dofek.toml.")
    if rec.late:
        add("error", "late-reply",
            f"{rec.late} replies arrived after their poll timed out and were discarded",
            "Reply within timeout_ms; a late reply is never shown.")
    if rec.extra_lines:
        add("error", "extra-stdout",
            f"{len(rec.extra_lines)} extra stdout lines beyond one reply per poll, "
            f"e.g. {rec.extra_lines[0]!r}",
            "Write exactly one JSON line per poll to stdout; send logs and debug output to stderr.")
    if rec.not_json:
        add("error", "not-json", f"a reply was not a JSON object: {rec.not_json[0]}",
            "Print one compact JSON object per line (json.dumps without indent), nothing else.")
    if rec.first_seen and not isinstance(rec.first_manifest, dict):
        add("warning", "no-manifest", "the first response has no manifest",
            'Add "manifest": {"name", "version", "description", "author"} to your first response.')
    for issue in rec.issues.values():
        if issue.kind == "type":
            add("error", "wrong-type", str(issue),
                "Send the types the spec lists: strings for ids, labels, keys and values, "
                "an integer pid, a number for metric values.")
        elif issue.kind == "enum":
            leaf = issue.key[1] if len(issue.key) > 1 else ""
            allowed = _ALLOWED.get(leaf, ())
            add("warning", "unknown-enum", str(issue),
                f"Use a {leaf} the spec defines: {', '.join(allowed)}; the host shows the default meanwhile.")
        elif issue.kind == "namespace":
            add("warning", "metric-namespace", str(issue),
                "Prefix metric ids with your plugin name: 'myplugin.requests'.")
    if rec.reported_errors:
        add("warning", "status-error", f"the plugin answered status \"error\": {rec.reported_errors[0]}",
            "Fine when something really is wrong; the dock keeps the last good data meanwhile.")
    if rec.dropped_pids:
        pids = ", ".join(str(p) for p in sorted(rec.dropped_pids)[:5])
        add("warning", "unknown-pid", f"annotations for pids that are not running: {pids}",
            "Annotate only pids from the poll's `processes` list (they are running right now).")
    if rec.shutdown_clean is False:
        add("error", "ignores-shutdown",
            f"the plugin was still running {SHUTDOWN_GRACE_S:.0f} s after shutdown and "
            "stdin closing; it was killed",
            'Exit when you read {"type":"shutdown"} or when stdin reaches EOF.')
    if rec.replies == 0 and not rec.timeouts and not rec.exits and not rec.too_long and rec.polls:
        add("error", "no-reply", "the plugin never answered a poll", "Read one line per poll and answer it.")
    return sorted(out, key=lambda f: f.severity != "error")


_ALLOWED = {"style": frames.STYLES, "category": frames.CATEGORIES, "ai_state": frames.AI_STATES,
            "status": frames.STATUSES}
