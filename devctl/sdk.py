"""devctl.sdk: write a devctl v1 plugin in a few lines of Python.

A plugin is a long-lived child that speaks NDJSON on stdin/stdout. Getting the protocol's
small rules right by hand (handshake first, one response per request, echo the request id,
answer unknown ops with E_UNSUPPORTED, never print to stdout) is where hand-written plugins
break, so this module owns them and the author writes only handlers::

    from devctl.sdk import Plugin

    plugin = Plugin("myrepo")

    @plugin.op("config.mutate")
    def mutate(req):
        return {"config_patch": {"set": {"services.app.port": 8080}}}

    @plugin.op("launch.plan")
    def plan(req):
        port = req.config["services"]["app"]["port"]
        return {"services": [{"name": "app", "command": ["python3", "-m", "http.server", str(port)]}]}

    plugin.run()

Rules the SDK enforces:

- The handshake is built from the decorators (ops, streams, commands).
- A handler returns the response `output` (a dict, or None for `{}`). Raising
  `PluginFailure(code, message)` answers `ok: false` with that code; any other exception
  answers `E_INTERNAL` and logs the traceback to stderr.
- stdout belongs to the protocol. While the plugin runs, file descriptor 1 points at stderr
  and `sys.stdout` is `sys.stderr`, so a stray `print()` — or a subprocess the handler starts —
  shows up as a log line instead of corrupting the protocol.
- A `@plugin.stream(op)` handler is a generator: each value it yields becomes an event
  (a dict, or a string for a `log` event); the SDK sends the `stream_id` response first and
  the final `end` event last (`ok: false` if the generator raises).
- A `@plugin.command(name, help=...)` handler becomes `devctl <name>`: it gets `req.argv`
  and `req.config` and returns the exit code. `-h`/`--help` as the first argument prints the
  command's help on stderr unless the command says it handles help itself (devctl answers
  `devctl <name> --help` itself; `devctl <name> -- --help` reaches the plugin).
- Ops run one at a time, in arrival order; a stream blocks further requests until it ends.

Stdlib only: a plugin started by the same interpreter as devctl can import it without
installing anything else.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

PROTOCOL_VERSION = "v1"
#: Same rule as devctl's command-name check: a word a shell and a CLI parser leave alone.
COMMAND_NAME = re.compile(r"^[A-Za-z0-9_:][A-Za-z0-9_:-]*$")

__all__ = ["Plugin", "PluginFailure", "Request", "log"]


class PluginFailure(Exception):
    """Raise in a handler to answer `ok: false` with `code` (e.g. "E_DB") and `message`."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class Request:
    """One parsed request frame, with shortcuts for the fields handlers use most."""

    id: str
    op: str
    input: dict[str, Any] = field(default_factory=dict)
    ctx: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> dict[str, Any]:
        """The current merged config devctl sent (`input.config`), `{}` when absent."""
        value = self.input.get("config")
        return value if isinstance(value, dict) else {}

    @property
    def repo_root(self) -> Path:
        return Path(self.ctx.get("repo_root") or ".")

    @property
    def dry_run(self) -> bool:
        """True when devctl asks for no side effects: plan and report, change nothing."""
        return bool(self.ctx.get("dry_run", False))

    @property
    def deadline_ms(self) -> int | None:
        value = self.ctx.get("deadline_ms")
        return value if isinstance(value, int) and value > 0 else None

    @property
    def name(self) -> str:
        """`command.run`: the command's name."""
        return str(self.input.get("name", ""))

    @property
    def argv(self) -> list[str]:
        """`command.run`: the arguments after the command name, verbatim."""
        argv = self.input.get("argv")
        return [str(a) for a in argv] if isinstance(argv, list) else []


def log(*parts: object) -> None:
    """Write one line to stderr (devctl shows it, prefixed with the plugin id)."""
    sys.stderr.write(" ".join(str(p) for p in parts) + "\n")
    sys.stderr.flush()


@dataclass
class _Command:
    name: str
    help: str
    usage: str | None
    handles_help: bool
    handler: Callable[[Request], int | None]


Handler = Callable[[Request], Any]


class Plugin:
    """A devctl v1 plugin: register handlers with the decorators, then call `run()`."""

    def __init__(self, name: str, *, side_effects: str | None = None, idempotent: bool | None = None):
        self.name = name
        self.declares: dict[str, Any] = {}
        if side_effects is not None:
            self.declares["side_effects"] = side_effects
        if idempotent is not None:
            self.declares["idempotent"] = idempotent
        self._ops: dict[str, Handler] = {}
        self._streams: dict[str, Handler] = {}
        self._commands: dict[str, _Command] = {}
        self._stream_seq = 0

    # -- registration -------------------------------------------------------------------

    def op(self, name: str) -> Callable[[Handler], Handler]:
        """Handle request op `name`; the handler returns the response output dict."""

        def register(fn: Handler) -> Handler:
            self._claim(name)
            self._ops[name] = fn
            return fn

        return register

    def stream(self, name: str) -> Callable[[Handler], Handler]:
        """Handle stream op `name` with a generator that yields events."""

        def register(fn: Handler) -> Handler:
            self._claim(name)
            self._streams[name] = fn
            return fn

        return register

    def command(
        self, name: str, *, help: str = "", usage: str | None = None, handles_help: bool = False
    ) -> Callable[[Handler], Handler]:
        """Provide `devctl <name>`; the handler gets `req.argv` and returns an exit code."""
        if not COMMAND_NAME.match(name):
            raise ValueError(f"invalid command name {name!r}: use letters, digits, '-', '_', ':'")
        if name in self._commands:
            raise ValueError(f"command {name!r} registered twice")

        def register(fn: Handler) -> Handler:
            self._commands[name] = _Command(name, help, usage, handles_help, fn)
            return fn

        return register

    def _claim(self, name: str) -> None:
        if name in self._ops or name in self._streams or name in ("commands.list", "command.run"):
            raise ValueError(f"op {name!r} registered twice (commands.list/command.run come from @command)")

    # -- protocol -----------------------------------------------------------------------

    def handshake(self) -> dict[str, Any]:
        """The first frame, built from what is registered. Stream ops appear in both lists:
        they are request ops that answer with a stream."""
        ops = [*self._ops, *self._streams]
        if self._commands:
            ops += ["commands.list", "command.run"]
        caps: dict[str, Any] = {"ops": ops}
        if self._streams:
            caps["streams"] = list(self._streams)
        if self._commands:
            caps["commands"] = list(self._commands)
        frame: dict[str, Any] = {
            "type": "handshake",
            "protocol_version": PROTOCOL_VERSION,
            "plugin_name": self.name,
            "capabilities": caps,
        }
        if self.declares:
            frame["declares"] = dict(self.declares)
        return frame

    def handle(self, frame: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The frames that answer one request frame: a response, then events for a stream."""
        req = Request(
            id=str(frame.get("request_id", "")),
            op=str(frame.get("op", "")),
            input=frame["input"] if isinstance(frame.get("input"), dict) else {},
            ctx=frame["ctx"] if isinstance(frame.get("ctx"), dict) else {},
        )
        if req.op in self._streams:
            yield from self._run_stream(req, self._streams[req.op])
            return
        try:
            output = self._dispatch(req)
        except PluginFailure as exc:
            yield _failure(req.id, exc.code, exc.message)
            return
        except Exception as exc:  # a bug in the handler: report it, keep serving
            yield _internal(req, exc)
            return
        yield {"type": "response", "request_id": req.id, "ok": True, "output": output}

    def _dispatch(self, req: Request) -> dict[str, Any]:
        if req.op == "commands.list" and self._commands:
            return {"commands": [{"name": c.name, "help": c.help} for c in self._commands.values()]}
        if req.op == "command.run" and self._commands:
            return {"exit_code": self._run_command(req)}
        handler = self._ops.get(req.op)
        if handler is None:
            raise PluginFailure("E_UNSUPPORTED", f"unsupported op: {req.op}")
        output = handler(req)
        if output is None:
            return {}
        if not isinstance(output, dict):
            raise TypeError(f"handler for {req.op} returned {type(output).__name__}, expected a dict")
        return output

    def _run_command(self, req: Request) -> int:
        cmd = self._commands.get(req.name)
        if cmd is None:
            raise PluginFailure("E_UNKNOWN_COMMAND", f"no such command: {req.name!r}")
        if not cmd.handles_help and req.argv[:1] in (["-h"], ["--help"]):
            log(cmd.usage or f"usage: devctl {cmd.name} [ARGS...]")
            if cmd.help:
                log("\n" + cmd.help)
            return 0
        code = cmd.handler(req)
        if code is None:
            return 0
        if isinstance(code, bool) or not isinstance(code, int):
            raise TypeError(f"command {cmd.name} returned {code!r}, expected an int exit code")
        return code

    def _run_stream(self, req: Request, handler: Handler) -> Iterator[dict[str, Any]]:
        # Run the generator up to its first event *before* answering, so input checks at
        # the top of a handler can still answer ok:false instead of a failed stream.
        try:
            events = iter(handler(req))
            first = next(events, None)
        except PluginFailure as exc:
            yield _failure(req.id, exc.code, exc.message)
            return
        except Exception as exc:
            yield _internal(req, exc)
            return
        self._stream_seq += 1
        sid = f"{req.op}-{self._stream_seq}"
        yield {"type": "response", "request_id": req.id, "ok": True, "output": {"stream_id": sid}}
        end: dict[str, Any] = {"type": "event", "stream_id": sid, "event": "end", "ok": True}
        try:
            if first is not None:
                yield _event(sid, first)
                for item in events:
                    yield _event(sid, item)
        except PluginFailure as exc:
            end.update(ok=False, error={"code": exc.code, "message": exc.message})
        except Exception as exc:
            log(traceback.format_exc().rstrip())
            end.update(ok=False, error={"code": "E_INTERNAL", "message": f"{type(exc).__name__}: {exc}"})
        yield end

    # -- I/O loop -------------------------------------------------------------------------

    def run(self, stdin: IO[bytes] | None = None, stdout: IO[str] | None = None) -> None:
        """Send the handshake, answer requests until stdin closes, then return.

        With no arguments it uses the process's stdin/stdout and moves fd 1 onto stderr
        (see the module docstring). Tests pass their own streams instead.
        """
        if stdout is None:
            proto = _take_stdout()
            guard: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        else:
            proto = stdout
            guard = contextlib.redirect_stdout(sys.stderr)
        source = stdin if stdin is not None else sys.stdin.buffer
        try:
            _send(proto, self.handshake())
            while True:
                raw = source.readline()
                if not raw:
                    return  # stdin closed: devctl is done with us
                frame = _parse(raw)
                if frame is None:
                    continue
                with guard:
                    for reply in self.handle(frame):
                        _send(proto, reply)
        except (BrokenPipeError, KeyboardInterrupt):
            return  # devctl went away or stopped us: nothing left to answer


def _take_stdout() -> IO[str]:
    """A private handle on the real stdout; fd 1 and `sys.stdout` then point at stderr."""
    sys.stdout.flush()
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(fd, "w", encoding="utf-8", newline="\n")


def _send(stream: IO[str], frame: dict[str, Any]) -> None:
    stream.write(json.dumps(frame, separators=(",", ":"), ensure_ascii=False) + "\n")
    stream.flush()


def _parse(raw: bytes | str) -> dict[str, Any] | None:
    """A request frame, or None (logged) for lines that cannot be answered."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if not text.strip():
        return None
    try:
        frame = json.loads(text)
    except ValueError:
        log(f"devctl.sdk: ignoring a line that is not JSON: {text.strip()[:200]}")
        return None
    if not isinstance(frame, dict) or frame.get("type") != "request" or "request_id" not in frame:
        log(f"devctl.sdk: ignoring a frame that is not a request: {text.strip()[:200]}")
        return None
    return frame


def _event(sid: str, item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return {"type": "event", "stream_id": sid, "event": "log", "level": "info", "message": item}
    if not isinstance(item, dict):
        raise TypeError(f"stream yielded {type(item).__name__}, expected a dict or a str")
    if item.get("event") == "end":
        raise ValueError("do not yield an 'end' event: the SDK sends it when the generator returns")
    return {"type": "event", "stream_id": sid, "event": "log", **item} | {"type": "event", "stream_id": sid}


def _failure(rid: str, code: str, message: str) -> dict[str, Any]:
    return {"type": "response", "request_id": rid, "ok": False, "error": {"code": code, "message": message}}


def _internal(req: Request, exc: BaseException) -> dict[str, Any]:
    log(f"devctl.sdk: {req.op} failed:\n" + traceback.format_exc().rstrip())
    return _failure(req.id, "E_INTERNAL", f"{type(exc).__name__}: {exc}")
