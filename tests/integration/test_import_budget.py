"""What the fast commands load: `devctl --version` and `devctl status --json` stay within a budget.

Scripts poll `status --json`, and `--version` answers before anything else is imported; a stray
top-level import (typer, anyio, httpx, rich, ...) would quietly make both slow. Each command runs
in a fresh interpreter, and the devctl modules and heavy third-party packages it loaded must be
within the lists below. A new module on a fast path has to be added here, on purpose.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Third-party (and stdlib) packages that are slow to import; none may load on a fast path.
HEAVY = ("typer", "click", "rich", "anyio", "asyncio", "httpx", "jsonschema", "yaml", "ruamel", "psutil")
#: Stdlib modules `status` and `down` do without: `dataclasses` pulls `inspect` (and `ast`,
#: `dis`, `tokenize`), 10-25 ms of import on the 2-core box.
LEAN = ("dataclasses", "inspect")
#: Nor do they import `typing` (4-7 ms): their annotations are for type checkers only
#: (`TYPE_CHECKING = False` blocks). Commands that talk to plugins do import it.
UNTYPED = ("typing",)

VERSION_BUDGET = {"devctl", "devctl.cli", "devctl.cli.main", "devctl.version"}
STATUS_JSON_BUDGET = VERSION_BUDGET | {
    "devctl.cli.context", "devctl.cli.fastpath", "devctl.cli.global_options", "devctl.cli.teardown",
    "devctl.config", "devctl.errors", "devctl.procs", "devctl.procs.lines",
    "devctl.protocol", "devctl.protocol.ndjson",
    "devctl.statedir", "devctl.supervisor", "devctl.supervisor.client", "devctl.supervisor.control",
    "devctl.supervisor.paths", "devctl.supervisor.service_states", "devctl.supervisor.state_store",
    "devctl.util", "devctl.util.atomic", "devctl.layout",
}

PROBE = """
import json, sys
from devctl.cli.main import main
try:
    main(json.loads(sys.argv[1]))
except SystemExit:
    pass
heavy = set(json.loads(sys.argv[2]))
sys.stderr.write("\\nMODULES " + json.dumps({
    "devctl": sorted(m for m in sys.modules if m == "devctl" or m.startswith("devctl.")),
    "heavy": sorted(m for m in sys.modules if m.split(".")[0] in heavy),
}))
"""


def loaded(argv: list[str], cwd, env: dict[str, str] | None = None,
           watch: tuple[str, ...] = HEAVY + LEAN) -> dict[str, list[str]]:
    """The devctl modules `devctl ARGV` loaded, and those of the packages in `watch` ("heavy")."""
    res = subprocess.run([sys.executable, "-c", PROBE, json.dumps(argv), json.dumps(watch)],
                         capture_output=True, text=True, cwd=cwd, timeout=60,
                         env=None if env is None else {**os.environ, **env})
    return json.loads(res.stderr.rpartition("\nMODULES ")[2])


#: The readable `status` prints its table and messages without rich (cli/plain.py).
STATUS_BUDGET = STATUS_JSON_BUDGET | {"devctl.cli.output", "devctl.cli.plain", "devctl.cli.status_table",
                                      "devctl.supervisor.render"}


@pytest.mark.parametrize(
    ("argv", "budget", "heavy_ok"),
    [(["--version"], VERSION_BUDGET, []), (["status", "--json"], STATUS_JSON_BUDGET, []),
     (["-C", ".", "status", "--json"], STATUS_JSON_BUDGET, []), (["status"], STATUS_BUDGET, [])],
)
def test_fast_commands_stay_within_their_import_budget(tmp_path, argv, budget, heavy_ok):
    found = loaded(argv, tmp_path, watch=HEAVY + LEAN + UNTYPED)
    heavy = sorted({m.split(".")[0] for m in found["heavy"]})
    assert heavy == heavy_ok, f"devctl {' '.join(argv)} loads heavy modules"
    over = sorted(set(found["devctl"]) - budget)
    assert not over, f"devctl {' '.join(argv)} loads modules outside its budget: {over}"
    assert "devctl.cli.main" in found["devctl"]  # the probe really ran the entry point


def test_down_skips_typer(tmp_path):
    """`down`'s own modules are the supervisor's business; the CLI adds no typer, click, anyio or
    typing, and no rich: its one line is written plainly, and its spinner too (on a terminal)."""
    found = loaded(["down"], tmp_path, watch=HEAVY + LEAN + UNTYPED)
    assert not {m.split(".")[0] for m in found["heavy"]} & {"typer", "click", "anyio", "asyncio", "httpx",
                                                            "rich", *LEAN, *UNTYPED}
    assert "devctl.cli.fastpath" in found["devctl"]
    # On a terminal its spinner is drawn without rich too (cli/spinner.py).
    found = loaded(["down"], tmp_path, env={"TTY_COMPATIBLE": "1"}, watch=HEAVY + LEAN + UNTYPED)
    assert found["heavy"] == []
    assert "devctl.cli.spinner" in found["devctl"]


#: All `devctl down` may have loaded when its request goes out (cli/down_early.py): above what
#: the interpreter loaded at its start, only these. `__future__` is what every devctl module's
#: `from __future__ import annotations` loads.
DOWN_AT_CONNECT = {
    "devctl", "devctl.cli", "devctl.cli.main", "devctl.version", "devctl.cli.down_early", "devctl.layout",
    "devctl.errors", "devctl.supervisor", "devctl.supervisor.early_shutdown", "devctl.supervisor.paths",
    "__future__", "errno", "fcntl", "_socket",
}
#: Runs the CLI; at its first connect writes the address and the modules loaded since the start
#: (no json here: it imports `re`), then ends at once: the connect never happens.
CONNECT_PROBE = """
import os, sys
before = set(sys.modules)
def hook(event, args):
    if event == "socket.connect":
        new = sorted(set(sys.modules) - before)
        os.write(2, ("\\nAT CONNECT %r\\n" % ([args[1], new],)).encode())
        os._exit(0)
sys.addaudithook(hook)
sys.argv = ["devctl", *sys.argv[1:]]
from devctl.cli.main import main
main()
"""


@pytest.mark.parametrize(("argv", "where"), [(["down"], "sub"), (["-C", "{root}", "down"], "."),
                                             (["--repo-root=../..", "down"], "sub"), (["down"], "deep")])
def test_down_sends_its_request_with_only_os_fcntl_and_socket_loaded(tmp_path, argv, where):
    """No pathlib, re, typing or socket before the request is out (the ~30 ms they take would
    come before the services' exit), yet the repo root found from a subdirectory or -C, and a
    socket path too long for AF_UNIX reached through its directory (`short_socket_path`)."""
    import tempfile

    # a short root (pytest's own tmp_path can be too long for AF_UNIX already), or a deep one
    top = Path(tempfile.mkdtemp(prefix="dn")) if where != "deep" else tmp_path
    try:
        _probe_down_connect(top, argv, where)
    finally:
        if top != tmp_path:
            import shutil

            shutil.rmtree(top)


def _probe_down_connect(top: Path, argv: list[str], where: str) -> None:
    import ast
    import fcntl

    root = top / ("r" * 100 if where == "deep" else "repo")
    (root / "sub" / "x").mkdir(parents=True)
    (root / ".devctl.yaml").write_text("")
    (root / ".devctl").mkdir()
    lock = os.open(root / ".devctl" / "supervisor.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # a live supervisor, as far as `down` can tell
    try:
        res = subprocess.run([sys.executable, "-c", CONNECT_PROBE, *(a.format(root=root) for a in argv)],
                             capture_output=True, text=True, timeout=60,
                             cwd=top if where == "." else root / "sub" / "x")
    finally:
        os.close(lock)
    assert "\nAT CONNECT " in res.stderr, res.stderr
    address, new = ast.literal_eval(res.stderr.rpartition("\nAT CONNECT ")[2].strip())
    if where == "deep":
        assert address.startswith("/proc/self/fd/") and address.endswith("/supervisor.sock")
    else:
        assert address == str(root.resolve() / ".devctl" / "supervisor.sock")
    assert not {"pathlib", "re", "typing", "socket", "json"} & set(new)
    assert not set(new) - DOWN_AT_CONNECT, f"loaded before the request: {sorted(set(new) - DOWN_AT_CONNECT)}"


def test_status_of_a_dead_supervisor_needs_no_psutil_or_rich(tmp_path):
    """With no supervisor every recorded pid is judged, gone or alive, from /proc alone
    (procs/pids.py), and the table and the warning above it are written without rich."""
    import os
    import time

    from devctl.procs import procstat

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True, timeout=60)
    pid = int(gone.stdout)
    services = [{"name": f"s{i}", "state": "running", "pid": pid, "create_time": time.time() - 5,
                 "started_at": time.time() - 5, "restarts": 0, "logs": {}} for i in range(3)]
    # and one that runs (this test's process, with its create time): judged from /proc too
    services.append({**services[0], "name": "alive", "pid": os.getpid(),
                     "create_time": procstat.create_time(os.getpid())})
    (tmp_path / ".devctl").mkdir()
    state = {"version": 1, "supervisor": {"pid": pid, "create_time": 1000.0, "run_id": ""},
             "services": services}
    (tmp_path / ".devctl" / "state.json").write_text(json.dumps(state))
    found = loaded(["status"], tmp_path, watch=HEAVY + LEAN + UNTYPED)
    assert found["heavy"] == []  # the table of a recorded run (supervisor/render.py) included
    assert "devctl.procs.pids" in found["devctl"]  # the pids were judged


def test_replayed_help_imports_nothing_heavy(tmp_path):
    """The second `--help` in the same terminal settings is replayed: no typer, no rich."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg"), "COLUMNS": "100"}
    assert "typer" in loaded(["--help"], tmp_path, env)["heavy"]  # the first one renders
    found = loaded(["--help"], tmp_path, env)
    assert set(found["heavy"]) <= set(LEAN)
    assert "devctl.cli.help_cache" in found["devctl"]


def test_cached_plugin_command_skips_typer(tmp_path):
    """A plugin command the fresh cache knows runs without typer or click (cli/fastpath.py)."""
    from pathlib import Path

    fixture = Path(__file__).resolve().parents[2] / "testdata" / "plugins" / "cmd_echo.py"
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: echo\n    path: {sys.executable}\n    args: [{json.dumps(str(fixture))}]\n")
    assert "typer" in loaded(["plugins", "list"], tmp_path)["heavy"]  # discovers: a warm cache
    found = {m.split(".")[0] for m in loaded(["echo-args", "x"], tmp_path)["heavy"]}
    assert not found & {"typer", "click"}
    assert "devctl.cli.plugin_invoke" in loaded(["echo-args"], tmp_path)["devctl"]
    assert "typer" in loaded(["echo-args", "--help"], tmp_path)["heavy"]  # its help: typer's


def test_version_imports_not_even_typing(tmp_path):
    """`typing` alone would be a few ms of `--version`'s budget: main.py must not import it."""
    probe = ("import sys\nfrom devctl.cli.main import main\nmain(['--version'])\n"
             "print('typing' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                         timeout=60)
    assert res.stdout.splitlines()[-1] == "False"


def test_tui_refusal_skips_typer(tmp_path):
    """`devctl tui` is a fast shape: even its refusal (no terminal here) loads no typer."""
    found = loaded(["tui"], tmp_path)
    assert not {m.split(".")[0] for m in found["heavy"]} & {"typer", "click"}


def test_plan_skips_typer(tmp_path):
    """`plan --json` is a fast shape: no typer or click, even when it fails (no config here)."""
    found = loaded(["plan", "--json"], tmp_path)
    assert not {m.split(".")[0] for m in found["heavy"]} & {"typer", "click"}
    assert "devctl.cli.pipeline_run" in found["devctl"]


def test_piped_plan_validate_and_up_import_no_rich(tmp_path):
    """Piped, `plan` prints its config and services table without rich (cli/plain.py draws the
    same box), and so do `validate` and `up` (its progress lines and messages); rich is for what
    is drawn on a terminal. The pipeline's own modules are the plugin host's business."""
    from pathlib import Path

    from tests.cli import run_cli

    plugin = Path(__file__).resolve().parents[2] / "testdata" / "plugins" / "sup_plan.py"
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: sup\n    path: {sys.executable}\n"
        f"    args: [{json.dumps(str(plugin))}, plan.json]\n")
    web = {"name": "web", "command": ["{python}", "@sleeper.py"], "depends_on": []}
    (tmp_path / "plan.json").write_text(json.dumps({"services": [web]}))
    assert "rich" not in {m.split(".")[0] for m in loaded(["plan"], tmp_path)["heavy"]}
    assert "rich" not in {m.split(".")[0] for m in loaded(["validate"], tmp_path)["heavy"]}
    try:
        found = loaded(["up"], tmp_path, watch=(*HEAVY, *LEAN, "tempfile"))
    finally:
        assert run_cli("down", cwd=tmp_path).returncode == 0
    assert "rich" not in {m.split(".")[0] for m in found["heavy"]}
    assert "devctl.cli.up_progress" in found["devctl"]  # it did wait for the service
    # The supervisor, forked as `up` starts, imports asyncio and anyio in its own process while
    # the pipeline runs (supervisor/early.py); the CLI needs neither, nor dataclasses or tempfile.
    assert not {m.split(".")[0] for m in found["heavy"]} & {"asyncio", "anyio", *LEAN, "tempfile"}


#: What `plan` and a plugin command (warm caches) do without (issue 17, round 3): PyYAML (the
#: parse comes from the config cache), `copy` (the config patches copy JSON data themselves),
#: `difflib` (only for a message about an unknown key), and, since the plugin host is
#: synchronous, asyncio, anyio and what they pulled in (ssl, socket); typer, click and rich
#: as above (piped output), psutil, tempfile and shutil.
PLUGIN_PATH_LEAN = ("yaml", "copy", "difflib", "asyncio", "anyio", "ssl", "socket", "typer", "click", "rich",
                    "psutil", "tempfile", "shutil")

DATACLASS_PROBE = """
import json, sys
from devctl.cli.main import main
try:
    main(json.loads(sys.argv[1]))
except SystemExit:
    pass
made = sorted(f"{name}.{cls.__name__}" for name, module in list(sys.modules.items())
              if name.startswith("devctl.") for cls in list(vars(module).values())
              if isinstance(cls, type) and cls.__module__ == name
              and isinstance(vars(cls).get("__dataclass_fields__"), dict))
sys.stderr.write("\\nDATACLASSES " + json.dumps(made))
"""


def devctl_dataclasses(argv: list[str], cwd) -> list[str]:
    """The `@dataclass` classes of devctl's modules that `devctl ARGV` loaded."""
    res = subprocess.run([sys.executable, "-c", DATACLASS_PROBE, json.dumps(argv)], capture_output=True,
                         text=True, cwd=cwd, timeout=60)
    return json.loads(res.stderr.rpartition("\nDATACLASSES ")[2])


def test_plan_and_a_plugin_command_load_no_yaml_copy_difflib_or_dataclasses(tmp_path):
    """`devctl plan` and a plugin command with warm caches: no PyYAML, no `copy`, no `difflib`,
    no asyncio/anyio, and no devctl class built by `@dataclass` (each compiles its methods at
    import; `dataclasses` itself pulls `inspect`, 10-25 ms): the config, the pipeline's records
    and merges and the command cache's records are plain classes (devctl/util/records.py).
    Neither loads `dataclasses` at all."""
    from pathlib import Path

    fixtures = Path(__file__).resolve().parents[2] / "testdata" / "plugins"
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / ".devctl.yaml").write_text(
        f"plugins:\n  - id: sup\n    path: {sys.executable}\n"
        f"    args: [{json.dumps(str(fixtures / 'sup_plan.py'))}, plan.json]\n")
    web = {"name": "web", "command": ["{python}", "@sleeper.py"], "health": {"type": "tcp",
                                                                           "address": "127.0.0.1:1"}}
    (plan / "plan.json").write_text(json.dumps({"services": [web]}))
    watch = (*HEAVY, *LEAN, *PLUGIN_PATH_LEAN)
    first = loaded(["plan"], plan, watch=watch)["heavy"]
    assert "yaml" in first  # the first run parses .devctl.yaml: what the list below would catch
    for argv in (["plan"], ["plan", "--json"]):
        found = {m.split(".")[0] for m in loaded(argv, plan, watch=watch)["heavy"]}
        assert not found & {*PLUGIN_PATH_LEAN, *LEAN}, f"devctl {' '.join(argv)} loads {sorted(found)}"
    assert devctl_dataclasses(["plan"], plan) == []

    command = tmp_path / "command"
    command.mkdir()
    echo = json.dumps(str(fixtures / "cmd_echo.py"))
    (command / ".devctl.yaml").write_text(
        f"plugins:\n  - id: echo\n    path: {sys.executable}\n    args: [{echo}]\n")
    assert "typer" in loaded(["plugins", "list"], command)["heavy"]  # the command cache, warm
    found = loaded(["echo-args", "x"], command, watch=watch)
    assert "devctl.cli.plugin_invoke" in found["devctl"]  # the fast path ran the command
    assert not {m.split(".")[0] for m in found["heavy"]} & {*PLUGIN_PATH_LEAN, *LEAN}
    assert devctl_dataclasses(["echo-args", "x"], command) == []


#: A supervisor run in this interpreter (`daemon.run_daemon`, as the forked one runs it): a
#: service with a TCP check, probed until ready, then `down`; what it loaded on the way.
SUPERVISOR_RUN = """
import json, os, sys
from pathlib import Path
from devctl.supervisor import daemon, early, up
from devctl.supervisor.paths import Paths
early.warm_up()
root = Path(sys.argv[1])
services = up.prepare(json.loads(sys.argv[2]), root)
os.makedirs(root / ".devctl" / "logs", exist_ok=True)
read_fd, write_fd = os.pipe()
code = daemon.run_daemon(Paths(root), services, [], write_fd)
heavy = ("asyncio", "anyio", "httpx", "psutil", "sniffio", "typer", "rich", "ssl")
print(json.dumps({"code": code, "heavy": sorted(m for m in sys.modules if m.split(".")[0] in heavy)}))
"""


def test_the_supervisor_runs_without_asyncio_anyio_or_psutil(tmp_path):
    """The supervisor is forked as `up` starts and must be ready when the plan arrives: on
    `procs/tasks.py` its run — socket server, TCP probes, spawns, exits, shutdown — loads no
    asyncio or anyio (100-150 ms of CPU on the 2-core box, docs/performance.md), nor psutil."""
    import socket

    from tests.cli import run_cli, wait_for

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    listener = Path(__file__).resolve().parents[2] / "testdata" / "services" / "tcp_listen.py"
    plan = [{"name": "web", "command": [sys.executable, str(listener), str(port)],
             "health": {"type": "tcp", "address": f"127.0.0.1:{port}"}}]
    proc = subprocess.Popen([sys.executable, "-c", SUPERVISOR_RUN, str(tmp_path), json.dumps(plan)],
                            stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        state = tmp_path / ".devctl" / "state.json"
        wait_for(lambda: state.exists() and '"healthy"' in state.read_text(), timeout=30)
        assert run_cli("down", cwd=tmp_path).returncode == 0
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    found = json.loads(out.strip().splitlines()[-1])
    assert found == {"code": 0, "heavy": []}
