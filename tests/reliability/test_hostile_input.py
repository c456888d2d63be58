"""The supervisor never dies on input and its state is never lost (issue 12, items 2, 9, 15, 16).

Three doors a bad day comes through: a plan value the OS cannot take (NUL byte, lone
surrogate, a number no timer holds), a request on the control socket that is not what a
devctl client sends, and a full disk under `.devctl/`. Each used to end the supervisor, delete
`state.json` on the way out, and leave its services running untracked. Real supervisors and
real services throughout; the fuzzer's example count is the reliability budget's.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest
from hypothesis import given
from hypothesis import strategies as st

from devctl.supervisor.plan import normalize
from devctl.supervisor.state_store import read_state
from tests.cli import ok, read_reply_line, wait_for
from tests.reliability import budget
from tests.reliability import strategies as S
from tests.reliability.budget import fuzz
from tests.reliability.harness import Repo, alive, no_traceback, svc

#: --long sends 5000 fuzzed requests to one supervisor (about 0.1 s each on 2 busy cores).
pytestmark = pytest.mark.timeout(1500 if budget.current.long else 300)


@pytest.fixture
def repo(tmp_path):
    r = Repo(tmp_path)
    yield r
    r.cli("down", "--timeout", "1")


def raw_request(sock_path: Path, payload: bytes, timeout: float = 30.0) -> dict[str, Any] | None:
    """Send `payload` as-is and return the first reply line (None if the server just closed)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(sock_path))
        sock.sendall(payload)
        return read_reply_line(sock)


def supervisor_pid(repo: Repo) -> int:
    return int((repo.state_dir / "supervisor.lock").read_text().split()[0])


# ---- plan values ------------------------------------------------------------------------------


def test_a_plan_the_os_cannot_run_is_refused_before_anything_starts(repo):
    """NUL in env or argv, a lone surrogate, `stop_timeout_ms: 10**13`, a name ending in a
    newline: `plan` and `up` refuse each with exit 2 and one message naming the service; no
    supervisor starts, nothing runs, no state is written."""
    bad = [
        ({"env": {"A": "x\u0000y"}}, "env['A'] contains a NUL byte"),
        ({"args": ["a\u0000b"]}, "command[2] contains a NUL byte"),
        ({"env": {"A": "\ud800"}}, "env['A'] is not valid text"),
        ({"stop_timeout_ms": 10_000_000_000_000}, "'stop_timeout_ms' must be from 1 to 3600000"),
        ({"cwd": "~"}, "'~' is not expanded"),
        ({"health": {"type": "http", "url": "http://[::1/"}}, "health.url"),
    ]
    for extra, fragment in bad:
        args = extra.pop("args", [])
        repo.plan(svc("good", "sleeper.py"), svc("web", "sleeper.py", *args, **extra))
        for cmd in (("plan", "--json"), ("up",)):
            result = repo.cli(*cmd)
            assert result.returncode == 2, (cmd, extra, result.stdout, result.stderr)
            assert fragment in result.stderr and "service 'web'" in result.stderr, result.stderr
            no_traceback(result.stderr + result.stdout)
        assert not (repo.state_dir / "state.json").exists()
        assert not (repo.state_dir / "supervisor.lock").exists() or "not running" in repo.cli("status").stdout
    repo.plan({"name": "web\n", "command": ["{python}", "@sleeper.py"]})
    result = repo.cli("plan")
    assert result.returncode == 2 and "invalid service name 'web\\n'" in result.stderr, result.stderr
    # A plugin answering NaN (the fixture re-serializes what plan.json says with json.dumps, which
    # writes NaN): a bad frame naming the plugin, not invalid JSON on plan --json's stdout.
    repo.plan(svc("web", "sleeper.py", stop_timeout_ms=float("nan")))
    result = repo.cli("plan", "--json")
    assert result.returncode == 1 and result.stdout == "", result.stdout
    assert "plugin 'sup' [E_BAD_FRAME]: NaN is not a JSON number" in result.stderr, result.stderr


def test_a_supervisor_that_crashes_stops_its_services_and_keeps_state_json(tmp_path):
    """Bypass `plan`'s checks (the exec-mode daemon reads its plan file as it is) to feed the
    supervisor a NUL byte: its spawn raises, the supervisor dies. state.json must stay behind,
    so `down` stops the service it had already started; before, it was deleted with the
    supervisor and `down` said "nothing running" while the service ran on. A crash that is a
    Python exception also runs the supervisor's last duty on its way out: stop everything below
    it, so the service is already gone; state.json still says what ran."""
    repo = Repo(tmp_path).plan()
    services = normalize([{"name": "good", "command": [sys.executable, "-c", "import time; time.sleep(300)"]},
                          {"name": "bad", "command": [sys.executable, "-c", "pass"], "depends_on": ["good"]}],
                         tmp_path)
    services[1]["env"] = {"A": "x\u0000y"}  # what the normalizer now refuses
    (repo.state_dir / "logs").mkdir(mode=0o700, parents=True)
    plan_file = repo.state_dir / "plan.json"
    plan_file.write_text(json.dumps({"services": services}))
    read_fd, write_fd = os.pipe()
    with open(repo.state_dir / "supervisor.log", "ab") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "devctl.supervisor.daemon", str(tmp_path), str(plan_file), str(write_fd)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(write_fd,), start_new_session=True,
        )
    os.close(write_fd)
    try:
        assert daemon.wait(60) != 0  # it crashed
        os.close(read_fd)
        state = read_state(repo.state_dir / "state.json")
        assert state is not None, "the crashed supervisor deleted state.json"
        good = {s["name"]: s for s in state["services"]}["good"]
        assert good["pid"] and not alive(good["pid"], good["create_time"])
        status = repo.cli("status", "--json")
        no_traceback(status.stderr)
        assert {s["name"]: s["state"] for s in json.loads(status.stdout)["services"]}["good"] != "running"
        ok(repo.cli("down", "--timeout", "2"))
        assert read_state(repo.state_dir / "state.json") is None  # down cleared the record
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(10)


# ---- control socket -----------------------------------------------------------------------------

_OPS = st.sampled_from(["ping", "status", "watch", "start", "stop", "restart", "nope", ""])
_ARGS = st.dictionaries(st.sampled_from(["services", "wait_s", "grace_s", "op", "x"]),
                        S.JSON | st.lists(st.sampled_from(["web", "db", "ghost", ""]), max_size=3)
                        | st.sampled_from([0, -1, 0.01, 1e308, 2**70, "1"]), max_size=3)
REQUESTS = st.one_of(  # anything but a real shutdown, which would end this supervisor on purpose
    st.builds(lambda op, args: {**args, "op": op}, _OPS | S.JSON, _ARGS),
    S.JSON.map(lambda v: {"op": v}),
).filter(lambda r: r["op"] != "shutdown")
FIXED = [b'{"op": []}\n', b'{"op": {}}\n', b'{"op": null}\n', b"[]\n", b"\xff\xfe\n", b"{\n",
         b'{"op": "stop", "services": "web"}\n', b'{"op": "start", "services": [[]]}\n',
         b'{"op": "restart", "services": [{"a": 1}], "wait_s": "soon"}\n',
         b'{"op": "status", "x": NaN}\n', b'{"op": "ping", "x": Infinity}\n',
         b'{"op": "ping", "x": ' + b"[" * 100000 + b"]" * 100000 + b"}\n",
         b'{"op": "ping"}' + b" " * 10 + b"\n",
         # a new plan over the socket goes through the same checks as `plan` (supervisor/apply.py)
         b'{"op": "apply", "services": [{"name": "web", "command": ["x\\u0000"]}]}\n',
         b'{"op": "apply", "services": [{"name": "web", "command": ["x"], "stop_timeout_ms": 1e13}]}\n']


def test_no_socket_request_ends_the_supervisor(repo):
    """`{"op": []}` killed the supervisor (an unhashable op in a dict lookup). Now every request
    gets a reply with `ok`, the supervisor stays the same process, its services keep running,
    state.json stays readable, and `down` stops everything."""
    repo.plan(svc("db", "sleeper.py"), svc("web", "sleeper.py", depends_on=["db"]))
    ok(repo.cli("up"))
    sock = repo.state_dir / "supervisor.sock"
    pid = supervisor_pid(repo)
    for payload in FIXED:
        reply = raw_request(sock, payload)
        assert reply is not None and reply["ok"] in (True, False), (payload[:60], reply)
    reply = raw_request(sock, b'{"op": []}\n')
    assert reply is not None and reply["ok"] is False and reply["error"].startswith("unknown op []; known: ")

    @fuzz()
    @given(REQUESTS)
    def one(request: dict[str, Any]) -> None:
        reply = raw_request(sock, json.dumps(request).encode() + b"\n")
        assert reply is not None and isinstance(reply.get("ok"), bool), (request, reply)

    one()
    assert alive(pid) and raw_request(sock, b'{"op": "ping"}\n') == {"ok": True, "pid": pid}
    assert read_state(repo.state_dir / "state.json") is not None
    log = (repo.state_dir / "supervisor.log").read_text()
    assert "Traceback" not in log, log[-3000:]
    ok(repo.cli("down", "--timeout", "2"))
    assert not alive(pid) and repo.leftovers() == []


# ---- a full disk under .devctl ------------------------------------------------------------------


def test_a_full_disk_or_a_corrupt_state_file_loses_nothing(repo):
    """The supervisor's writes fail as on a full disk: RLIMIT_FSIZE set on the running
    supervisor (prlimit) makes every write that would grow a file past 64 bytes fail (EFBIG;
    Python ignores SIGXFSZ), so state.json's temp file and the event log cannot be written —
    the same code path as ENOSPC. Stopping a service changes the state: the supervisor must
    live on, keep the previous state.json whole and leave no temp file; once space is back,
    the next change is written and `down` stops everything."""
    repo.plan(svc("db", "sleeper.py"), svc("web", "sleeper.py"))
    ok(repo.cli("up"))
    pid = supervisor_pid(repo)
    state_file = repo.state_dir / "state.json"
    before = state_file.read_text()
    sup = psutil.Process(pid)
    _, hard = sup.rlimit(psutil.RLIMIT_FSIZE)
    sup.rlimit(psutil.RLIMIT_FSIZE, (64, hard))  # the soft limit only: raising it back needs no privilege
    try:
        reply = raw_request(repo.state_dir / "supervisor.sock", b'{"op": "stop", "services": ["web"]}\n')
        assert reply is not None and reply["ok"], reply
        assert alive(pid)
        assert state_file.read_text() == before  # the last good state, whole
        assert {s["name"]: s["state"] for s in read_state(state_file)["services"]}["web"] != "stopped"
        assert not [p for p in os.listdir(repo.state_dir) if p.endswith(".tmp")]
    finally:
        sup.rlimit(psutil.RLIMIT_FSIZE, (hard, hard))
    reply = raw_request(repo.state_dir / "supervisor.sock", b'{"op": "start", "services": ["web"]}\n')
    assert reply is not None and reply["ok"], reply
    wait_for(lambda: {s["name"]: s["state"] for s in read_state(state_file)["services"]}["web"] == "running",
             timeout=30)

    # A corrupt state.json while the supervisor lives (issue 12, item 12): `status --json` asks the
    # supervisor instead of printing a traceback (and the file is rewritten); `down` stops everything.
    state_file.write_text('{"version": 1, "servi')
    status = repo.cli("status", "--json")
    no_traceback(status.stderr)
    assert status.returncode == 0, status.stderr
    assert {s["name"] for s in json.loads(status.stdout)["services"]} == {"db", "web"}
    assert read_state(state_file) is not None  # answering rewrote it
    pids = [s["pid"] for s in read_state(state_file)["services"]]
    state_file.write_text("\0garbage")
    down = ok(repo.cli("down", "--timeout", "2"))
    assert "stopped 2 services" in down.stderr, down.stderr
    assert not alive(pid) and not any(alive(p) for p in pids) and repo.leftovers() == []

    # ... and with no supervisor to ask: one clear message, exit 1, for status, status --json and down.
    repo.state_dir.joinpath("state.json").write_text("[1, 2")
    for cmd in (("status",), ("status", "--json"), ("down",)):
        result = repo.cli(*cmd)
        no_traceback(result.stderr)
        assert result.returncode == 1 and "state.json: not valid JSON" in result.stderr, (cmd, result.stderr)
        assert "No supervisor runs for this repo" in result.stderr
    state_file.unlink()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as a second uid (setuid to nobody)")
def test_a_state_dir_the_user_cannot_open_is_a_message_not_a_traceback(tmp_path):
    """`.devctl` chmod 000 (root ignores modes, so the check runs as `nobody` in a forked
    child): `status` and `up`'s state-dir setup raise DevctlError naming the path and the fix."""
    repo = tmp_path / "repo"
    (repo / ".devctl").mkdir(parents=True)
    for path in (tmp_path, repo, repo / ".devctl"):
        os.chown(path, 65534, 65534)
    os.chmod(tmp_path, 0o755)
    os.chmod(repo / ".devctl", 0)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe and never returns
        code = 1
        try:
            from devctl.errors import DevctlError
            from devctl.statedir import ensure_state_dir
            from devctl.supervisor.client import read_status
            from devctl.supervisor.paths import Paths

            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            seen = []
            for attempt in (lambda: read_status(Paths(repo)), lambda: ensure_state_dir(repo)):
                try:
                    attempt()
                    seen.append("no error")
                except DevctlError as exc:
                    seen.append(exc.message)
                except BaseException as exc:  # noqa: BLE001 - reported to the parent
                    seen.append(f"traceback: {type(exc).__name__}: {exc}")
            os.write(write_fd, json.dumps(seen).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        seen = json.loads(pipe.read() or b"[]")
    assert os.waitpid(pid, 0)[1] == 0
    assert len(seen) == 2, seen
    for message in seen:
        assert "Permission denied" in message and "chmod 700" in message, seen
