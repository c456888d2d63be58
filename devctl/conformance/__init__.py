"""`devctl plugins check`: does a plugin follow the devctl v1 protocol?

The checks, each reported pass/fail with the fix for a failure:

1. handshake — the first stdout line, within 2 s, is a valid v1 handshake;
2. stdout clean — every stdout line, start to exit, is a protocol frame;
3. op <name> — every declared op answers a minimal valid request with output of the right
   shape: ops run in pipeline order with dry_run true, each getting the config the plugin's own
   config.mutate produced from the starting config (empty, or for `plugins check ID` the one
   the plugins before it made, as `devctl plan` would); `command.run` gets
   the first listed command with `--help`; a stream op opens a stream whose events are well
   formed;
4. undeclared op — an op the plugin did not declare gets ok:false, E_UNSUPPORTED, in time;
5. request ids — every request gets a response, and it carries the id of the request it
   answers (a plugin that never answers fails this check: requests sent are not answers);
6. exits on stdin close — the plugin exits within 2 s once stdin closes, leaving no process.

A plugin that hangs or dies during one op is restarted for the next, so one bug does not hide
the others. Every process started here is stopped by process group before returning.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devctl.conformance import shapes
from devctl.conformance.session import Eof, Session, Timeout
from devctl.procs.exits import describe_exit
from devctl.procs.groups import group_members
from devctl.procs.start import child_env
from devctl.protocol.frames import build_request, validate_event, validate_handshake, validate_response
from devctl.protocol.ndjson import FrameError

HANDSHAKE_TIMEOUT = 2.0
EXIT_TIMEOUT = 2.0
DEFAULT_TIMEOUT = 5.0
UNDECLARED_OP = "devctl.check.undeclared"


@dataclass
class Check:
    name: str
    status: str  # "pass" | "fail" | "skip"
    detail: str = ""
    fix: str = ""

    def to_json(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass
class Report:
    target: str
    plugin_name: str = ""
    checks: list[Check] = field(default_factory=list)
    stderr_tail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(c.status == "fail" for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "plugin_name": self.plugin_name, "ok": self.ok,
                "checks": [c.to_json() for c in self.checks], "stderr_tail": self.stderr_tail}


#: How a request's problem starts when the answer came on a line that is not a JSON object.
NOT_A_FRAME = "the answer is not a JSON object line:"


def run_checks(argv: list[str], *, cwd: Path, env: dict[str, str] | None = None,
               timeout: float = DEFAULT_TIMEOUT, target: str | None = None,
               config: dict[str, Any] | None = None) -> Report:
    """Run every check against `argv` started in `cwd` (with `env` over os.environ).

    `config` is the config the plugin starts from (default empty): `plugins check ID` passes
    what the plugins before it in the pipeline made, so a plugin that reads their keys is
    checked the way `devctl plan` runs it."""
    checker = _Checker(argv, cwd, env or {}, timeout)
    checker.config = dict(config or {})
    try:
        return checker.run(target or " ".join(argv))
    except OSError as exc:
        report = Report(target or " ".join(argv))
        report.checks.append(Check("start", "fail", f"cannot start {argv[0]!r}: {exc.strerror or exc}",
                                   "check the path and that the file is executable (chmod +x), or run it "
                                   "through its interpreter: -- python3 plugin.py"))
        return report
    finally:
        checker.stop_all()


class _Checker:
    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], timeout: float):
        self.argv = argv
        self.cwd = cwd
        # The host gives plugins PYTHONUNBUFFERED=1; give the plugin the same world here.
        self.env = child_env(env)
        self.timeout = timeout
        self.sessions: list[Session] = []
        self.session: Session | None = None
        self.id_problems: list[str] = []
        self.requests = 0
        self.answered = 0  # requests that got a response frame with their own request_id
        self.unanswered: list[str] = []  # "op (request_id)" of requests that got no response
        self.config: dict[str, Any] = {}  # what the plugin's own config.mutate produced
        self.nonce = secrets.token_hex(3)
        self.handshake_notes: tuple[tuple[str, str], ...] = ()  # tolerated deviations (E_NO_OPS)

    # -- sessions --------------------------------------------------------------------------

    def start(self) -> tuple[Session, dict[str, Any] | None, str, float]:
        """A new plugin process: (session, handshake frame or None, problem, seconds)."""
        session = Session(self.argv, cwd=self.cwd, env=self.env)
        self.sessions.append(session)
        deadline = session.started + HANDSHAKE_TIMEOUT
        try:
            line = session.read(deadline)
        except Timeout:
            return session, None, f"no stdout line within {HANDSHAKE_TIMEOUT:g} s", HANDSHAKE_TIMEOUT
        except Eof:
            session.wait_exit(1.0)
            return session, None, f"stdout closed before any line ({session.exit_note()})", 0.0
        took = time.monotonic() - session.started
        if line.frame is None:
            return session, None, f"the first line is not a JSON object: {line.problem}", took
        try:
            self.handshake_notes = validate_handshake(line.frame).notes
        except FrameError as exc:
            return session, None, exc.message, took
        return session, line.frame, "", took

    def live(self) -> Session | None:
        """The current session, restarting the plugin if an earlier check left it unusable."""
        if self.session is None:
            session, frame, _problem, _took = self.start()
            if frame is None:
                session.stop()
                return None
            self.session = session
        return self.session

    def retire(self) -> None:
        if self.session is not None:
            self.session.stop()
            self.session = None

    def stop_all(self) -> None:
        for session in self.sessions:
            session.stop()

    # -- one request -----------------------------------------------------------------------

    def request(self, session: Session, op: str, input: dict[str, Any]) -> tuple[Any, str]:
        """Send one request; (validated Response or None, problem). Breaks the session on failure."""
        self.requests += 1
        rid = f"check-{self.requests}-{self.nonce}"
        frame = build_request(rid, op, repo_root=str(self.cwd), deadline_ms=int(self.timeout * 1000),
                              dry_run=True, input=input)
        deadline = time.monotonic() + self.timeout
        try:
            session.send(frame)
            while True:
                line = session.read(deadline)
                if line.frame is None and line.problem == "empty line":
                    continue  # a blank line: "stdout clean" reports it; devctl skips it (E_BLANK_LINE)
                if line.frame is None:
                    # devctl fails a plugin on the first such line; so does the check, naming
                    # the line instead of waiting for a timeout that would blame its speed.
                    self.retire()
                    return None, f"{NOT_A_FRAME} {line.problem}"
                got = line.frame
                if got.get("type") == "event":
                    continue  # an event from an earlier stream: not this request's answer
                try:
                    response = validate_response(got)
                except FrameError as exc:
                    self.retire()
                    return None, f"the answer is not a valid response frame: {exc.message}"
                if response.request_id != rid:
                    self.id_problems.append(f"{op}: sent request_id {rid!r}, the response carried "
                                            f"{response.request_id!r}")
                else:
                    self.answered += 1
                return response, ""
        except Timeout:
            self.unanswered.append(f"{op} ({rid})")
            self.retire()
            return None, f"no response within {self.timeout:g} s"
        except Eof:
            self.unanswered.append(f"{op} ({rid})")
            session.wait_exit(1.0)
            note = session.exit_note()
            self.retire()
            return None, f"stdout closed before the response ({note})"

    # -- the checks ------------------------------------------------------------------------

    def run(self, target: str) -> Report:
        report = Report(target)
        session, hs, problem, took = self.start()
        if hs is None:
            report.checks.append(Check("handshake", "fail", problem, _handshake_fix(problem)))
            session.drain(0.2)
            self._finish(report, None)
            return report
        self.session = session
        caps = hs.get("capabilities") or {}
        ops = [str(op) for op in caps.get("ops") or []]
        streams = [str(op) for op in caps.get("streams") or []]
        report.plugin_name = str(hs.get("plugin_name", ""))
        report.checks.append(Check("handshake", "pass", f"{report.plugin_name!r} v1 in {took * 1000:.0f} ms; "
                                   f"ops: {', '.join(ops) or '(none)'}"
                                   + (f"; streams: {', '.join(streams)}" if streams else "")
                                   + "".join(f"; warning [{code}]: {message} (devctl warns; an error "
                                             "under --strict)" for code, message in self.handshake_notes)))
        commands: list[str] = []
        for op in shapes.order([op for op in ops if op not in streams]):
            report.checks.append(self._check_op(op, commands))
        for op in sorted(set(streams)):
            report.checks.append(self._check_stream(op))
        report.checks.append(self._check_undeclared())
        self._finish(report, self.live())
        return report

    def _check_op(self, op: str, commands: list[str]) -> Check:
        name = f"op {op}"
        fix = shapes.FIXES.get(op, shapes.GENERIC_FIX)
        if op == "command.run" and not commands:
            return Check(name, "skip", "commands.list declared no command to run")
        session = self.live()
        if session is None:
            return Check(name, "fail", "the plugin could not be restarted for this check", fix)
        first = commands[0] if commands else None
        response, problem = self.request(session, op, shapes.minimal_input(op, first, self.config))
        if response is None:
            return Check(name, "fail", problem, _failure_fix(problem, fix))
        if not response.ok:
            code, message = response.error
            if code == "E_UNSUPPORTED":
                return Check(name, "fail", f"declared in the handshake but answered E_UNSUPPORTED: {message}",
                             "either implement the op or remove it from capabilities.ops")
            return Check(name, "pass", f"answered ok:false [{code}] {message} (fine if it needs real input)")
        bad = shapes.output_problem(op, response.output, self.cwd)
        if bad:
            return Check(name, "fail", bad, fix)
        if op == "commands.list":
            commands.extend(shapes.command_names(response.output))
        if op == "config.mutate":
            self.config = shapes.mutated_config(response.output, self.config)
        return Check(name, "pass", "answered with a valid output")

    def _check_stream(self, op: str) -> Check:
        """A stream gets its own process: a follow-style stream never ends by itself."""
        name = f"stream {op}"
        self.retire()
        session = self.live()
        if session is None:
            return Check(name, "fail", "the plugin could not be restarted for this check", shapes.STREAM_FIX)
        response, problem = self.request(session, op, {})
        if response is None:
            return Check(name, "fail", problem, _failure_fix(problem, shapes.STREAM_FIX))
        if not response.ok:
            code, message = response.error
            if code == "E_UNSUPPORTED":
                return Check(name, "fail", f"declared as a stream but answered E_UNSUPPORTED: {message}",
                             "implement the stream or remove it from capabilities.streams")
            return Check(name, "pass", f"answered ok:false [{code}] {message} (fine if it needs real input)")
        sid = response.stream_id
        if sid is None:
            return Check(name, "fail", "the response has no output.stream_id", shapes.STREAM_FIX)
        events, result = self._read_stream(session, sid)
        self.retire()
        if result.startswith("bad:"):
            return Check(name, "fail", result[4:].strip(), shapes.STREAM_FIX)
        return Check(name, "pass", f"{events} event(s); {result}")

    def _read_stream(self, session: Session, sid: str) -> tuple[int, str]:
        deadline = time.monotonic() + self.timeout
        count = 0
        try:
            while True:
                frame = session.read_frame(deadline)
                if frame.get("type") != "event":
                    return count, f"bad: a {frame.get('type')!r} frame arrived inside the stream"
                try:
                    event = validate_event(frame)
                except FrameError as exc:
                    return count, f"bad: {exc.message}"
                if event.stream_id != sid:
                    return count, f"bad: event for stream {event.stream_id!r}, expected {sid!r}"
                count += 1
                if event.is_end:
                    code, message = event.error
                    return count, "ended ok" if event.ok else f"ended with ok:false [{code}] {message}"
        except Timeout:
            return count, f"still open after {self.timeout:g} s (fine for a follow-style stream)"
        except Eof:
            return count, "bad: stdout closed before the end event"

    def _check_undeclared(self) -> Check:
        name = "undeclared op"
        fix = ("answer any op you did not declare with ok:false and error.code \"E_UNSUPPORTED\" "
               "(ignoring it leaves devctl waiting until its timeout)")
        session = self.live()
        if session is None:
            return Check(name, "fail", "the plugin could not be restarted for this check", fix)
        response, problem = self.request(session, UNDECLARED_OP, {"config": {}})
        if response is None:
            # Silence is the usual way to get this wrong: the undeclared-op fix is the one to give.
            silent = problem.startswith("no response within")
            return Check(name, "fail", problem, fix if silent else _failure_fix(problem, fix))
        if response.ok:
            return Check(name, "fail", f"{UNDECLARED_OP!r} was answered ok:true", fix)
        if response.error[0] != "E_UNSUPPORTED":
            return Check(name, "fail", f"answered ok:false with code {response.error[0]!r}", fix)
        return Check(name, "pass", "answered E_UNSUPPORTED")

    def _finish(self, report: Report, session: Session | None) -> None:
        """Exit check (on the last live session), then the checks that span every session."""
        exit_check = Check("exits on stdin close", "skip", "no running plugin left to close")
        if session is not None:
            exit_check = self._check_exit(session)
        for s in self.sessions:
            s.drain(0.0 if s.proc.poll() is None else 0.5)
            s.settle(0.5)
        bad = [line for s in self.sessions for line in s.bad_lines]
        clean = Check("stdout clean", "pass", "only protocol frames on stdout")
        if bad:
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            clean = Check("stdout clean", "fail", f"{bad[0]}{more}",
                          "stdout carries protocol frames only: send logs, banners and prints to stderr")
        report.checks.insert(1, clean)
        if report.checks[0].status == "pass":
            ids = self._check_ids()
            report.checks.append(ids)
        report.checks.append(exit_check)
        tails = [line for s in self.sessions for line in s.stderr]
        report.stderr_tail = tails[-20:]

    def _check_ids(self) -> Check:
        """Every request answered, each answer carrying its request's id. Counted from the answers
        that came back, not the requests sent: silence must not pass as "ids echoed"."""
        name = "request ids"
        if self.id_problems:
            return Check(name, "fail", self.id_problems[0],
                         "copy request_id from each request into its response, unchanged")
        if self.unanswered:
            more = f" (and {len(self.unanswered) - 1} more)" if len(self.unanswered) > 1 else ""
            missing = f"{len(self.unanswered)} of {self.requests} request(s) got no response"
            return Check(name, "fail", f"{missing}: {self.unanswered[0]}{more}",
                         "answer every request with one response frame carrying its request_id, also "
                         "the ones you cannot serve (ok:false, E_UNSUPPORTED)")
        if not self.requests:
            return Check(name, "skip", "no request was sent")
        return Check(name, "pass", f"{self.answered} of {self.requests} request(s) answered, each with "
                     "its own request_id")

    def _check_exit(self, session: Session) -> Check:
        name = "exits on stdin close"
        session.close_stdin()
        code = session.wait_exit(EXIT_TIMEOUT)
        if code is None:
            return Check(name, "fail", f"still running {EXIT_TIMEOUT:g} s after stdin closed",
                         "stop reading when stdin reaches EOF and exit (Python: `for line in sys.stdin:` "
                         "ends by itself; bash: `while read -r line; do ...; done`)")
        left = group_members(session.pgid)
        if left:
            return Check(name, "fail", f"exited (code {code}) but left {len(left)} process(es) running: "
                         f"pids {', '.join(map(str, left))}",
                         "stop or wait for the processes you start before exiting")
        return Check(name, "pass", describe_exit(code))


def _handshake_fix(problem: str) -> str:
    """The fix for a failed handshake: a late or missing first line, or a wrong shape."""
    if problem.startswith(("no stdout line", "stdout closed", "the first line is not")):
        return ("write the handshake as the very first stdout line right after start, and flush it "
                "(Python: flush=True; or PYTHONUNBUFFERED=1)")
    return ('send {"type": "handshake", "protocol_version": "v1", "plugin_name": "NAME", '
            '"capabilities": {"ops": ["config.mutate", ...]}} (ops is a list of op names)')


def _failure_fix(problem: str, shape_fix: str) -> str:
    """The fix for a request that got no usable answer: depends on what went wrong."""
    if problem.startswith(NOT_A_FRAME):
        return ("write each response as one JSON object on its own line, with nothing before or "
                "after it; logs and prints go to stderr")
    if problem.startswith("no response within"):
        return ("answer every request before ctx.deadline_ms runs out (devctl gives commands.list 3 s); "
                "run slow work with your own timeout and report failures as ok:false")
    if problem.startswith("stdout closed"):
        return "keep running and answer every request; the plugin's stderr below shows why it stopped"
    return shape_fix
