"""`devctl run [SERVICE...] -- CMD ARGS...`: bring the environment up, run CMD against it, stop it.

The CI one-liner (what `start-server-and-test`, `docker compose run` and `honcho run` do):
`up` (or reuse what already runs, when it matches the plan), wait until ready, run CMD with
the plan's addresses in its environment, then stop what this run started — whether CMD passed,
failed, hung past `--timeout`, or devctl was sent Ctrl-C, SIGTERM or SIGHUP. Starting and
stopping the services go through the same calls as `up` and `down`; CMD is started and stopped
by `devctl.procs` (its own session, the group policy). Exit codes are listed in the help below
and in docs/ci.md. Only typer and the standard library at module level (see `cli/lazy.py`).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any, cast

import typer
from typer.core import TyperCommand

from devctl.cli.durations import DURATION, duration

#: Time CMD gets after its stop signal (on Ctrl-C, SIGTERM, --timeout) before SIGKILL.
CMD_STOP_GRACE_S = 10.0
#: How many last lines of each service log the CI report shows per stream.
CI_LOG_LINES = 500
EXIT_TIMEOUT = 124  # as timeout(1)
EXIT_NOT_EXECUTABLE = 126  # as a shell
EXIT_NOT_FOUND = 127  # as a shell
_CMD_KEY = "devctl_run_cmd"


class RunCommand(TyperCommand):
    """Splits the command line at the first `--`: what follows is CMD, which devctl never parses
    (so `devctl run -- pytest -x --help` passes `-x --help` to pytest)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            ctx.meta[_CMD_KEY] = list(args[cut + 1:])
            args = args[:cut]
        else:
            ctx.meta[_CMD_KEY] = []
        return super().parse_args(ctx, args)


app = typer.Typer(add_completion=False)


@app.command(cls=RunCommand)
def run(
    ctx: typer.Context,
    services: list[str] | None = typer.Argument(
        None, metavar="[SERVICE]...", show_default=False,
        help="Start only these services (and what they depend on); default: every planned service.",
    ),
    keep: bool = typer.Option(False, "--keep", help="Leave the environment running after CMD."),
    timeout: float | None = typer.Option(
        None, "--timeout", parser=duration(0.1), metavar=DURATION,
        help="Stop CMD (its whole process group) if it runs longer than this, then exit 124.",
    ),
    skip_build: bool = typer.Option(False, "--skip-build", help="Skip the build.run phase."),
    skip_prepare: bool = typer.Option(False, "--skip-prepare", help="Skip the prepare.run phase."),
    skip_validate: bool = typer.Option(False, "--skip-validate", help="Skip the validate.run phase."),
) -> None:
    """Bring the environment up, run CMD against it, then stop what was started.

    CMD comes after `--` and runs without a shell, in its own process group, with stdin passed
    through and, in its environment, every service's address (DEVCTL_<SERVICE>_HOST, _PORT,
    _URL, …) and the merged config as DEVCTL_CONFIG (JSON); see docs/ci.md. If the environment
    is already up with this plan, it is used and left running. Ctrl-C, SIGTERM and SIGHUP stop
    CMD and the services this run started. Under CI=true, a failure prints every service's log,
    folded per service on GitHub Actions and GitLab CI.

    Exit codes: CMD's own (128+N when a signal N killed it); 1 when devctl failed (a service
    never became ready, the pipeline failed, the running environment has another plan);
    2 usage; 124 CMD ran past --timeout; 126/127 CMD is not executable / not found;
    130, 143, 129 devctl was interrupted by SIGINT, SIGTERM, SIGHUP.
    """
    from devctl.errors import DevctlError

    cmd: list[str] = ctx.meta.get(_CMD_KEY) or []
    if not cmd:
        raise DevctlError("nothing to run: give the command after `--`, e.g. "
                          "`devctl run -- pytest -q` (or `devctl run web -- ./smoke.sh`)", exit_code=2)
    signals = _Signals()
    signals.install()
    code = _Run(ctx, services or [], cmd, keep=keep, timeout=timeout, signals=signals,
                skip=(skip_build, skip_prepare, skip_validate)).go()
    raise typer.Exit(code)


class _Signals:
    """SIGINT, SIGTERM and SIGHUP all become KeyboardInterrupt (one way to unwind, which `up`'s
    own start-up code already handles), remembering which signal came, for the exit code."""

    WATCHED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.received: int | None = None

    def install(self) -> None:
        for sig in self.WATCHED:
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: Any) -> None:
        self.received = self.received or signum
        raise KeyboardInterrupt

    def exit_code(self) -> int:
        return 128 + (self.received or signal.SIGINT)


class _Run:
    """One `devctl run`: its plan, whether it started the environment, and CMD."""

    def __init__(self, ctx: typer.Context, names: list[str], cmd: list[str], *, keep: bool,
                 timeout: float | None, signals: _Signals, skip: tuple[bool, bool, bool]):
        from devctl.cli.context import app_context
        from devctl.supervisor.paths import Paths

        self.app = app_context(ctx)
        self.cfg = self.app.load_config()
        self.paths = Paths(self.cfg.repo_root)
        self.names = names
        self.cmd = cmd
        self.keep = keep
        self.timeout = timeout
        self.signals = signals
        self.skip = skip
        self.started = False  # this run started the supervisor (so it stops it)
        self.services: list[Any] = []

    def go(self) -> int:
        """Everything, in order; returns the exit code. The environment is stopped on every path
        out once it was started (unless --keep), and the CI report printed on every failure."""
        code = 1
        try:
            code = self._go()
        except _Done as done:
            code = done.code
        except KeyboardInterrupt:  # during the pipeline or the launch: stop what was started
            code = self.signals.exit_code()
        finally:
            code = self._finish(code)
        return code

    def _go(self) -> int:
        from devctl.cli.output import info

        self._check_cmd()
        variables = self._bring_up()
        info(f"running {_quote(self.cmd)}")
        return self._run_cmd(variables)

    def _check_cmd(self) -> None:
        """CMD must exist before anything starts: a typo should not cost a whole bring-up."""
        from devctl.errors import DevctlError
        from devctl.procs.which import MISSING, NOT_ON_PATH, NotExecutable, resolve_executable

        try:
            resolve_executable(self.cmd[0], os.getcwd(), os.environ.get("PATH", os.defpath))
        except NotExecutable as exc:
            if exc.reason in (NOT_ON_PATH, MISSING):
                where = "in PATH" if exc.reason == NOT_ON_PATH else "(no such file)"
                raise DevctlError(f"{self.cmd[0]}: command not found {where}; nothing was started",
                                  exit_code=EXIT_NOT_FOUND) from None
            raise DevctlError(f"{self.cmd[0]}: not an executable file; nothing was started",
                              exit_code=EXIT_NOT_EXECUTABLE) from None

    def _bring_up(self) -> dict[str, str]:
        """Plan, then reuse the running environment or start one; the variables for CMD."""
        from devctl.cli.output import info, warn
        from devctl.cli.up_run import _launch_and_wait, _plan
        from devctl.errors import DevctlError
        from devctl.pipeline.services import ServiceSpec
        from devctl.supervisor import client, run_env
        from devctl.supervisor import up as up_core
        from devctl.supervisor.control import AlreadyRunning
        from devctl.supervisor.state_store import read_state

        seen: dict[str, Any] = {}
        dry = bool(self.app.dry_run)
        # `_plan` returns the checked services (`plan.in_start_order`), typed loosely for `up`.
        planned = cast("list[ServiceSpec]", _plan(
            self.app, self.cfg, *self.skip, [], dry,
            on_result=lambda result: seen.setdefault("config", result.config)))
        unknown = run_env.unknown_names(planned, self.names)
        if unknown:
            known = ", ".join(s["name"] for s in planned) or "none"
            raise DevctlError(f"no planned service named {', '.join(unknown)} (planned: {known})",
                              exit_code=2)
        selected = run_env.needed(planned, self.names)
        if not selected:
            raise DevctlError("the plan has no services: nothing to run CMD against")
        if dry:
            from devctl.supervisor.render import plan_lines

            for line in plan_lines(selected):
                typer.echo(line)
            info(f"dry run: {len(selected)} service(s) would start, then {_quote(self.cmd)}; "
                 "nothing was started")
            raise _Done(0)
        if client.is_running(self.paths):
            records = (read_state(self.paths.state) or {}).get("services", [])
            problem = run_env.reuse_problem(selected, records)
            if problem:
                raise DevctlError(
                    f"the environment is already up, but {problem}: `devctl up` applies the plan, "
                    "`devctl down` stops it; nothing was started")
            info(f"using the running environment ({len(selected)} service(s) ready); it stays up afterwards")
            self.services = selected
        else:
            pre = up_core.preflight(self.paths, dry=False, force=False)
            if pre.clear_first:
                info(client.down(self.paths))  # the files a dead supervisor left (no live service)
            self.services = up_core.prepare(selected, self.cfg.repo_root)
            self.started = True
            try:
                _launch_and_wait(self.paths, self.cfg, cast(Any, self.services), no_wait=False, attach=False)
            except AlreadyRunning:
                self.started = False  # another `up` won the race: its services are not ours to stop
                raise
            except typer.Exit as stop:
                # `up`'s own failure path already reported and stopped everything.
                self.started = False
                raise _Done(self.signals.exit_code() if stop.exit_code == 130 else 1) from None
        variables, warnings = run_env.run_variables(self.services, seen.get("config", {}),
                                                    str(self.cfg.repo_root))
        for message in warnings:
            warn(message)
        return variables

    def _run_cmd(self, variables: dict[str, str]) -> int:
        """CMD in its own session, stdin/stdout/stderr inherited; its exit code (128+N if killed)."""
        import subprocess

        from devctl.cli.output import err
        from devctl.procs.groups import stop_group_sync
        from devctl.procs.start import child_env, popen

        try:
            # A user's job: exactly its environment plus ours, no PYTHONUNBUFFERED forced on it.
            proc = popen(self.cmd, env=child_env(variables, unbuffered=False))
        except OSError as exc:
            from devctl.errors import DevctlError

            raise DevctlError(f"{self.cmd[0]}: {exc.strerror or exc}",
                              exit_code=EXIT_NOT_FOUND) from None
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        try:
            try:
                proc.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                err().print(f"CMD ran past --timeout ({self.timeout:g} s): "
                            "stopping it (its whole process group)")
                self._stop_cmd(proc, signal.SIGTERM)
                return EXIT_TIMEOUT
        except KeyboardInterrupt:
            sig = self.signals.received or signal.SIGINT
            err().print(f"{signal.Signals(sig).name}: stopping CMD (again to kill it at once)…")
            self._stop_cmd(proc, sig)
            return self.signals.exit_code()
        # CMD has ended; anything it left running in its group goes too (the group policy).
        stop_group_sync(proc.pid, grace=CMD_STOP_GRACE_S, child_pid=proc.pid)
        code = proc.returncode
        if code:
            from devctl.procs.exits import describe_exit

            err().print(f"{_quote(self.cmd[:1])} {describe_exit(code)}")
        return 128 - code if code < 0 else code

    def _stop_cmd(self, proc: Any, sig: int) -> None:
        """CMD's whole group: `sig`, the grace, SIGKILL; a second signal meanwhile kills at once."""
        from devctl.procs.groups import stop_group_sync

        try:
            stop_group_sync(proc.pid, sig=sig, grace=CMD_STOP_GRACE_S, child_pid=proc.pid)
        except KeyboardInterrupt:
            stop_group_sync(proc.pid, sig=signal.SIGKILL, grace=0.0, child_pid=proc.pid)
        proc.wait()

    def _finish(self, code: int) -> int:
        """Stop what this run started (unless --keep), print the CI report on failure."""
        from devctl.cli.output import err, info
        from devctl.supervisor import client

        if self.started:
            if self.keep:
                info("--keep: the environment stays up (`devctl status`, `devctl down`)")
            else:
                try:
                    err().print("stopping the environment…")
                    info(client.down(self.paths))
                except KeyboardInterrupt:
                    err().print("killing…")
                    client.kill_now(self.paths)
        if code != 0:
            self._ci_report()
        return code

    def _ci_report(self) -> None:
        """Under CI=true: every service's log (last lines of stdout and stderr), folded per service."""
        from devctl.cli.ci_fold import fold, folding, in_ci
        from devctl.supervisor.logs import tail_lines

        if not in_ci(os.environ) or not self.services:
            return
        kind = folding(os.environ)
        out: list[str] = []
        now = int(time.time())
        for index, svc in enumerate(self.services):
            body: list[str] = []
            for stream in ("stdout", "stderr"):
                path = self.paths.log(svc["name"], stream)
                lines = tail_lines(path, CI_LOG_LINES)
                rel = os.path.relpath(path)
                body.append(f"--- {stream} ({rel}, last {len(lines)} lines) ---" if lines
                             else f"--- {stream} ({rel}): empty ---")
                body += lines
            out += fold(kind, f"devctl: logs of service {svc['name']}", body, index=index, now=now)
        sys.stdout.flush()
        sys.stderr.write("\n".join(out) + "\n")
        sys.stderr.flush()


class _Done(Exception):
    """The run is over with this exit code (already reported)."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def _quote(argv: list[str]) -> str:
    import shlex

    return " ".join(shlex.quote(a) for a in argv)
