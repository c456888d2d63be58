"""Plugins started before the host is imported (`devctl.plugins.early`) and adopted by it.

The host must behave exactly as when it spawns the plugin itself: the same environment, cwd
and own process group; a crash, a hang, a grandchild holding stdout and closing are all noticed
and stopped the same way; and nothing survives a process that was never adopted.
"""

from __future__ import annotations

import os

from devctl.plugins import open_plugins, start_plugin
from devctl.plugins.early import spawn_early
from devctl.procs.groups import group_alive
from devctl.procs.pids import pid_alive
from tests.integration.test_plugin_host import PLUGINS, Spec, closed, failing, run, spec


def adopted(s: Spec, **options):  # noqa: ANN201 - a PluginClient
    """start_plugin for `s`, adopting a process started ahead by spawn_early."""
    early = spawn_early([s])
    assert s.id in early._started, "spawn_early must have started it"
    client = start_plugin(s, PLUGINS, early=early, **options)
    assert not early._started, "start_plugin must have taken it"
    return client


def test_adopted_plugin_gets_the_same_env_cwd_and_group_and_answers(tmp_path):
    lines: list[tuple[str, str]] = []

    def main():
        s = spec("host_ok.py", id="okp", env={"OKP_FLAG": "on"}, workdir=tmp_path)
        client = adopted(s, on_stderr=lambda pid, line: lines.append((pid, line)))
        try:
            assert client.ops == {"test.echo", "test.stderr", "test.slow", "config.mutate"}
            out = client.request("test.echo", {"env": ["OKP_FLAG", "PYTHONUNBUFFERED",
                                                             "DEVCTL_TEST_TAG"]}, timeout=10)
        finally:
            closed(client)
        return out, client

    out, client = run(main)
    assert out["cwd"] == str(tmp_path)
    assert out["env"]["OKP_FLAG"] == "on" and out["env"]["PYTHONUNBUFFERED"] == "1"
    assert out["env"]["DEVCTL_TEST_TAG"] == os.environ["DEVCTL_TEST_TAG"]
    assert out["pgid"] == out["pid"] == client.pid != os.getpgid(0)
    assert ("okp", "host_ok: ready") in lines
    assert client.returncode is not None  # reaped


def test_adopted_plugin_crashes_are_reported_as_before():
    def main():
        before = failing(lambda: adopted(spec("host_crash.py", "--before-handshake")))
        client = adopted(spec("host_crash.py"))
        try:
            # E_CRASHED, not E_TIMEOUT 60 s later: the exit was noticed with stdout still open.
            mid = failing(lambda: client.request("test.crash", {"orphan": True}, timeout=60))
        finally:
            closed(client)
        return before, mid

    before, mid = run(main)
    assert before.code == "E_CRASHED" and "exited with code 4 before sending its handshake" in before.message
    assert "crash | fatal: cannot read my config" in before.details
    assert mid.code == "E_CRASHED" and "exited with code 3" in mid.message
    assert "crash | Traceback: something broke badly" in mid.details


def test_adopted_plugin_timeouts_and_close_stop_the_whole_group():
    def main():
        hang = adopted(spec("host_hang.py", id="hang"))
        try:
            err = failing(lambda: hang.request("test.hang", {}, timeout=0.5))
            assert not group_alive(hang.pid)
        finally:
            closed(hang)
        client = adopted(spec("host_grandchild.py", "--ignore-term"), stop_grace=0.3)
        out = client.request("test.pid", {}, timeout=10)
        assert pid_alive(out["grandchild"])
        closed(client)
        return err, out["grandchild"]

    err, grandchild = run(main)
    assert err.code == "E_TIMEOUT" and "hang | got a request, thinking forever" in err.details
    assert not pid_alive(grandchild)


def test_what_is_not_adopted_is_killed_and_a_failed_spawn_is_reported_by_the_host(tmp_path):
    ok = spec("host_ok.py", id="okp")
    ghost = Spec(id="ghost", path=str(tmp_path / "nope.sh"), args=[])
    with spawn_early([ok, ghost]) as early:
        assert early.take(ghost) is None  # could not start: nothing recorded
        pid = early._started["okp"].popen.pid
        assert pid_alive(pid)
    assert not pid_alive(pid) and not group_alive(pid)
    err = run(lambda: failing(lambda: start_plugin(ghost, tmp_path)))
    assert err.code == "E_SPAWN" and "nope.sh" in err.message


def test_open_plugins_adopts_what_was_started_and_spawns_the_rest():
    specs = [spec("host_ok.py", id="a"), spec("host_ok.py", id="b")]

    def main():
        with spawn_early(specs[:1]) as early:
            pid_a = early._started["a"].popen.pid
            with open_plugins(specs, PLUGINS, early=early) as clients:
                assert not early._started  # taken by the host
                outs = [c.request("test.echo", {}, timeout=10) for c in clients]
                return pid_a, [c.pid for c in clients], outs

    pid_a, pids, outs = run(main)
    assert pids[0] == pid_a and pids[1] != pid_a
    assert [o["request"]["op"] for o in outs] == ["test.echo", "test.echo"]
    assert not any(group_alive(p) for p in pids)


#: Runs devctl in-process; at every Popen it notes which of the host's heavy imports are loaded.
SPAWN_PROBE = """
import json, sys
seen = []
def hook(event, args):
    if event == "subprocess.Popen":
        seen.append(sorted(m for m in ("asyncio", "anyio", "devctl.plugins.client", "typing")
                           if m in sys.modules))
sys.addaudithook(hook)
from devctl.cli.main import main
try:
    main(json.loads(sys.argv[1]))
except SystemExit:
    pass
import gc
late = sorted(m for m in ("shutil", "tempfile", "devctl.pipeline.services", "asyncio", "anyio")
              if m in sys.modules)
sys.stderr.write("\\nSPAWNS " + json.dumps([seen, late, gc.get_freeze_count() > 0]))
"""


def test_plan_and_plugin_commands_spawn_plugins_before_importing_the_host(tmp_path):
    """The point of spawning early: the plugin's interpreter starts while devctl imports the
    pipeline and the host. Importing `devctl.plugins.early` must therefore not import the host
    (the package's `__init__` re-exports it lazily), or the spawn waits for all of it. And what
    the path never uses is not imported at all (each is CPU on a box the plugin shares): the
    host is synchronous, so neither asyncio nor anyio is ever loaded."""
    import json
    import subprocess
    import sys

    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps({"services": []}))
    (tmp_path / ".devctl.yaml").write_text(
        "plugins:\n"
        f"  - id: plan\n    path: {json.dumps(sys.executable)}\n"
        f"    args: [{json.dumps(str(PLUGINS / 'sup_plan.py'))}, {json.dumps(str(plan_file))}]\n"
        f"  - id: echo\n    path: {json.dumps(sys.executable)}\n"
        f"    args: [{json.dumps(str(PLUGINS / 'cmd_echo.py'))}]\n")

    def spawns(*argv: str) -> list[object]:
        res = subprocess.run([sys.executable, "-c", SPAWN_PROBE, json.dumps(["-C", str(tmp_path), *argv])],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stderr.rpartition("\nSPAWNS ")[2])

    subprocess.run([sys.executable, "-m", "devctl", "-C", str(tmp_path), "plugins", "list"],
                   capture_output=True, check=True, timeout=60)  # a warm command cache
    # Both plugins spawned before anything of the host (or `typing`, which only annotations
    # want: `TYPE_CHECKING = False` on the way); and what the path never needs is not
    # imported at all: shutil (only a PATH lookup needs it: procs/which.py), tempfile (the
    # pipeline record's atomic write: util/atomic.py), the service checks for config.mutate alone,
    # an event loop.
    # Last, the objects alive when the command is done are frozen, so the interpreter's exit
    # does not search them for garbage (cli/teardown.py).
    assert spawns("plan", "--json") == [[[], []], ["devctl.pipeline.services"], True]
    assert spawns("echo-args", "x") == [[[]], [], True]  # the provider (which also answers config.mutate)
    # A config read afresh (a new clone, an edited file) parses the YAML before the spawn:
    # that path does not import `typing` either (config/loader.py, nodes.py, util/atomic.py).
    import shutil

    shutil.rmtree(tmp_path / ".devctl" / "cache")
    assert spawns("plan", "--json")[0] == [[], []]


UP_PROBE = """
import json, sys
at_fork = []
def hook(event, args):
    if event == "os.fork" and not at_fork:  # the early supervisor's (supervisor/early.py)
        shown = ("typing", "yaml", "devctl.config.loader", "devctl.supervisor.runtime")
        at_fork.append(sorted(m for m in shown if m in sys.modules))
sys.addaudithook(hook)
from devctl.cli.main import main
try:
    main(json.loads(sys.argv[1]))
except SystemExit as exc:
    code = exc.code
sys.stderr.write("\\nUP " + json.dumps([code, at_fork, "typing" in sys.modules]))
"""


def test_up_never_loads_typing_in_the_cli_and_forks_its_supervisor_before_reading_the_config(tmp_path):
    """`up`'s CLI is the critical path until the plan is handed over (docs/performance.md,
    "T2"): nothing on it builds a typing construct, so `typing` is not loaded at all, start to
    finish, with a real service started and waited for. The early supervisor is forked before
    the config is read and the plugins are started ("U2"): no config loader, no YAML parser, none
    of the supervisor's modules loaded yet (it imports those itself, on the other core)."""
    import json
    import subprocess
    import sys

    from tests.integration.test_supervisor_cli import service

    (tmp_path / "plan.json").write_text(json.dumps({"services": [service("web", "sleeper.py")]}))
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: plan\n    path: {json.dumps(sys.executable)}\n"
        f"    args: [{json.dumps(str(PLUGINS / 'sup_plan.py'))}, plan.json]\n")
    try:
        res = subprocess.run([sys.executable, "-c", UP_PROBE, json.dumps(["-C", str(tmp_path), "up"])],
                             capture_output=True, text=True, timeout=60)
    finally:
        subprocess.run([sys.executable, "-m", "devctl", "-C", str(tmp_path), "down"],
                       capture_output=True, timeout=60)
    code, at_fork, typing_loaded = json.loads(res.stderr.rpartition("\nUP ")[2])
    assert code == 0, res.stderr[-2000:]
    assert "1 service(s) ready" in res.stdout + res.stderr
    assert at_fork == [[]]
    assert typing_loaded is False


def test_the_early_supervisors_warm_up_leaves_out_what_its_start_does_not_need():
    """The supervisor forked by `up` must have its imports done when the plan arrives
    (docs/performance.md, "T2"), and import nothing heavy while its services start and need the
    CPU ("U3"): no `typing`; the state file's writer and setproctitle's extension are loaded
    ahead, and naming the process after its first spawn (`daemon._name_process`) imports
    neither setproctitle's package nor the `logging` it pulls in (util/proctitle.py)."""
    import json
    import subprocess
    import sys

    probe = ("import json, sys\n"
             "from devctl.supervisor.early import warm_up\n"
             "from devctl.supervisor import daemon\n"
             "shown = ('typing', 'logging', 'setproctitle', 'traceback', 'setproctitle._setproctitle',"
             " 'devctl.util.atomic')\n"
             "warm_up()\n"
             "warm = sorted(m for m in shown if m in sys.modules)\n"
             "from devctl.util.proctitle import set_title\n"
             "set_title('devctl supervisor /repo', 'devctl-supervisor')\n"
             "named = sorted(m for m in shown if m in sys.modules)\n"
             "print(json.dumps([warm, named, open('/proc/self/cmdline').read().rstrip(chr(0))]))\n")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    warm, named, cmdline = json.loads(res.stdout)
    assert warm == ["devctl.util.atomic", "setproctitle._setproctitle"]
    assert named == warm
    assert cmdline.startswith("devctl supervisor /repo")
