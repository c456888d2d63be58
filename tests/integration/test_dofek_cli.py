"""`devctl dofek …` as a user runs it: real CLI process, real plugin processes."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devctl.procs.groups import group_alive, group_members, stop_group_sync
from tests.cli import run_cli

TD = Path(__file__).resolve().parents[2] / "testdata" / "dofek"
PY = sys.executable


@pytest.fixture(autouse=True)
def _private_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """devctl looks for Dofek's per-user config too: never the real user's, here."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


def write_config(where: Path, refresh_ms: int, *plugins: tuple[str, str, list[str], int]) -> Path:
    text = f"refresh_ms = {refresh_ms}\n"
    for name, script, args, timeout in plugins:
        argv = json.dumps([str(TD / script), *args])
        text += f'\n[[plugins]]\nname = "{name}"\ncommand = "{PY}"\nargs = {argv}\ntimeout_ms = {timeout}\n'
    path = where / "dofek.toml"
    path.write_text(text)
    return path


def test_poll_once_json_merges_everything_and_exit_zero(tmp_path: Path) -> None:
    write_config(tmp_path, 500, ("a", "ok.py", ["alpha"], 2000), ("b", "ok.py", ["beta"], 2000))
    result = run_cli("dofek", "poll", "--once", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    snap = json.loads(result.stdout)
    assert [(p["name"], p["state"], p["last_outcome"]) for p in snap["plugins"]] == [
        ("alpha", "healthy", "ok"),
        ("beta", "healthy", "ok"),
    ]
    assert {m["id"] for m in snap["metrics"]} == {"alpha.processes", "beta.processes"}
    labels = {a["label"] for row in snap["processes"] for a in row["annotations"]}
    assert {"alpha plugin", "beta plugin"} <= labels
    assert (tmp_path / ".devctl" / "logs" / "dofek" / "a.log").is_file()


def test_poll_once_exits_one_when_a_plugin_fails(tmp_path: Path) -> None:
    write_config(tmp_path, 500, ("ok", "ok.py", [], 2000), ("hang", "hanging.py", [], 300))
    result = run_cli("dofek", "poll", "--once", cwd=tmp_path)
    assert result.returncode == 1
    assert "failed: hang: no reply within 300 ms" in result.stderr
    assert "● ok healthy" in result.stdout  # the healthy plugin's data is still printed


def test_run_prints_one_snapshot_per_tick_when_not_a_terminal(tmp_path: Path) -> None:
    write_config(tmp_path, 200, ("ok", "ok.py", [], 2000))
    result = run_cli("dofek", "run", "--ticks", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    headers = [line for line in result.stdout.splitlines() if line.startswith("dofek  tick")]
    assert [h.split()[2] for h in headers] == ["1", "2", "3"]
    assert "Metrics Procs" in result.stdout


def test_run_json_is_one_line_per_tick(tmp_path: Path) -> None:
    write_config(tmp_path, 200, ("ok", "ok.py", [], 2000))
    result = run_cli("dofek", "run", "--json", "--ticks", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ticks = [json.loads(line) for line in result.stdout.splitlines()]
    assert [t["tick"] for t in ticks] == [1, 2, 3]
    assert ticks[-1]["plugins"][0]["counters"]["replies"] == 3


def test_run_stops_plugins_on_sigint(tmp_path: Path) -> None:
    write_config(tmp_path, 200, ("ok", "ok.py", [], 2000), ("stubborn", "ignore_shutdown.py", [], 2000))
    proc = subprocess.Popen(
        [PY, "-m", "devctl", "dofek", "run", "--json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()  # the first tick: plugins are up
        assert json.loads(first)["tick"] == 1
        pids = [p["pid"] for p in json.loads(first)["plugins"]]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert not any(group_alive(pid) for pid in pids)


def test_config_lookup_and_errors(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    (repo / ".devctl.yaml").write_text("plugins: []\n")
    write_config(repo, 300, ("ok", "ok.py", ["fromroot"], 2000))
    # from a subdirectory: no ./dofek.toml there, so the repo root's
    result = run_cli("dofek", "poll", "--once", "--json", cwd=repo / "sub")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["plugins"][0]["name"] == "fromroot"
    # --config wins
    other = tmp_path / "other.toml"
    other.write_text('refresh_ms = 300\n[[plugins]]\nname = "x"\ncommand = "sh"\ntimeout_ms = "soon"\n')
    result = run_cli("dofek", "poll", "--once", "--config", str(other), cwd=repo / "sub")
    assert result.returncode == 2
    assert "other.toml:5: [[plugins]] #1 'x': timeout_ms: must be a whole number" in result.stderr
    assert result.stderr.count("error:") == 1
    result = run_cli("dofek", "run", cwd=tmp_path)
    assert result.returncode == 2 and "no dofek.toml found" in result.stderr


@pytest.mark.parametrize("lang", ["python", "bash", "node"])
def test_new_plugin_passes_check(tmp_path: Path, lang: str) -> None:
    runner = {"python": PY, "bash": shutil.which("bash"), "node": shutil.which("node")}[lang]
    if runner is None:
        pytest.skip(f"{lang} is not on PATH, so its template cannot be run here")
    result = run_cli("dofek", "new", "demo", "--lang", lang, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert '[[plugins]]\nname = "demo"' in result.stdout
    source = next(tmp_path.glob("dofek-demo.*"))
    assert len(source.read_text().splitlines()) < 50
    result = run_cli("dofek", "check", "--json", "--", runner, str(source), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["findings"] == [] and len(report["reply_ms"]) == 3
    again = run_cli("dofek", "new", "demo", "--lang", lang, cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr


def check_codes(*argv: str, timeout_ms: int = 2000) -> tuple[int, dict[str, dict]]:
    result = run_cli("dofek", "check", "--json", "--timeout-ms", str(timeout_ms), "--", PY, *argv)
    return result.returncode, {f["code"]: f for f in json.loads(result.stdout)["findings"]}


def test_check_reports_each_problem_with_its_fix() -> None:
    rc, found = check_codes(str(TD / "garbage.py"))
    assert rc == 1 and set(found) == {"extra-stdout", "no-manifest"}
    assert "DEBUG: handled a poll" in found["extra-stdout"]["message"]
    assert "stderr" in found["extra-stdout"]["fix"]

    bad = {
        "panels": [{"id": "p", "content": [{"key": "k", "value": "v", "style": "bright"}]}],
        "process_annotations": [{"pid": 999999, "category": "robot"}],
        "metrics": [{"id": "plain", "value": 1}],
        "manifest": {"name": "bad"},
    }
    rc, found = check_codes(str(TD / "reply.py"), json.dumps(bad))
    assert rc == 0  # only warnings
    assert set(found) == {"unknown-enum", "metric-namespace", "unknown-pid"}
    assert "999999" in found["unknown-pid"]["message"]

    rc, found = check_codes(str(TD / "reply.py"), '{"metrics":[{"id":"a.b","value":"1"}],"manifest":{}}')
    assert rc == 1 and "metrics[0].value: must be a number" in found["wrong-type"]["message"]

    rc, found = check_codes(str(TD / "hanging.py"), timeout_ms=300)
    assert rc == 1 and "no reply within timeout_ms=300" in found["timeout"]["message"]
    assert "flush" in found["timeout"]["fix"].lower()
    text = run_cli("dofek", "check", "--timeout-ms", "300", "--", PY, str(TD / "hanging.py"))
    assert "no replies (timeout 300 ms)" in text.stdout and "replies in none" not in text.stdout


def test_check_reports_ignored_shutdown_and_crashes() -> None:
    rc, found = check_codes(str(TD / "ignore_shutdown.py"))
    assert rc == 1 and set(found) == {"ignores-shutdown"}
    rc, found = check_codes(str(TD / "crashing.py"))
    assert rc == 1 and "exited with code 3" in found["crashed"]["message"]
    assert "crashing on purpose" in found["crashed"]["message"]


def test_validate_file_and_stdin(tmp_path: Path) -> None:
    good = tmp_path / "reply.json"
    good.write_text(
        json.dumps(
            {
                "panels": [
                    {"id": "p", "label": "OLLAMA", "content": [{"key": "Model", "value": "llama3"}]}
                ],
                "metrics": [{"id": "rpm", "label": "Req/min", "value": 12.5, "unit": "req/m"}],
            }
        )
    )
    result = run_cli("dofek", "validate", str(good))
    assert result.returncode == 0, result.stderr
    assert "metric id 'rpm' is not namespaced" in result.stdout
    assert "● plugin healthy  Model llama3" in result.stdout  # the dock preview
    assert "Req/min 12.5 req/m" in result.stdout
    result = run_cli("dofek", "validate", "-", "--json", input='{"process_annotations":[{"pid":"1"}]}')
    assert result.returncode == 1
    assert json.loads(result.stdout)["errors"] == [
        'process_annotations[0].pid: must be an integer, got string "1"'
    ]
    crate_error = '{"status":"error","message":"down","manifest":null,"panels":[{"id":"p","label":"P"}]}'
    result = run_cli("dofek", "validate", "-", input=crate_error)
    assert result.returncode == 0 and "● plugin healthy  ✕ error: down" in result.stdout
    result = run_cli("dofek", "validate", "-", input='{"panels": [\n  oops]}')
    assert result.returncode == 2 and "<stdin>:2:3: poll_response is not valid JSON" in result.stderr


def test_devctl_services_are_shown_and_annotated(tmp_path: Path) -> None:
    """A stand-in supervisor: we hold its lock and write its state for a real process group."""
    state_dir = tmp_path / ".devctl"
    state_dir.mkdir()
    service = subprocess.Popen(
        [
            PY,
            "-c",
            "import subprocess, sys, time; "
            "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
            "time.sleep(60)",
        ],
        start_new_session=True,
    )
    lock = os.open(state_dir / "supervisor.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        deadline = time.monotonic() + 10
        while len(group_members(service.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        state = {
            "version": 1,
            "supervisor": {"pid": os.getpid()},
            "services": [
                {
                    "name": "web",
                    "state": "running",
                    "pid": service.pid,
                    "pgid": service.pid,
                    "restarts": 2,
                    "descendants": [],
                }
            ],
        }
        (state_dir / "state.json").write_text(json.dumps(state))
        write_config(tmp_path, 300)
        result = run_cli("dofek", "poll", "--once", "--json", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        snap = json.loads(result.stdout)
        web = snap["services"]["services"][0]
        assert (web["name"], web["state"], web["restarts"], web["processes"]) == ("web", "running", 2, 2)
        assert web["rss"] > 0
        dev = [a for row in snap["processes"] for a in row["annotations"] if a["plugin"] == "devctl"]
        assert {(a["label"], a["category"]) for a in dev} == {("web", "dev")}
        assert {a["pid"] for a in dev} == set(group_members(service.pid))
        text = run_cli("dofek", "poll", "--once", cwd=tmp_path).stdout
        assert "devctl services" in text and "[dev] web (devctl)" in text
    finally:
        os.close(lock)
        stop_group_sync(service.pid, grace=1.0, child_pid=service.pid)
        service.wait()


#: Shaped like the example Dofek ships, with one plugin entry filled in (written for this test).
UPSTREAM_SHAPED = """\
[general]
refresh_ms = 200
history_len = 2

[display]
show_temps = true
process_count = 10

[ai]
vram_threshold_gb = 1.0
known_ai_processes = ["ollama"]

[categories]
dev_processes = ["cargo"]

[lhm]
url = "http://localhost:8085"

[[plugins]]
name = "mine"
command = "{py}"
args = ["{script}", "upstream"]
enabled = true
timeout_ms = 2000
some_future_key = 1
"""


def test_a_users_own_dofek_toml_in_their_config_dir_just_works(tmp_path: Path) -> None:
    user = tmp_path / "xdg-config" / "dofek" / "dofek.toml"
    user.parent.mkdir(parents=True)
    user.write_text(UPSTREAM_SHAPED.format(py=PY, script=TD / "ok.py"))
    work = tmp_path / "work"
    work.mkdir()
    result = run_cli("dofek", "check", cwd=work)
    assert result.returncode == 0, result.stderr
    assert f"config {user} (from user config dir); refresh 200 ms, history 2 samples" in result.stdout
    assert "ignored (Dofek's own panels, not used by devctl): [display], [ai], [categories], [lhm]" \
        in result.stdout
    assert "mine (enabled, timeout 2000 ms)" in result.stdout
    assert "some_future_key: unknown key" in result.stderr
    assert "ignored (Dofek ignores it too)" in result.stderr
    assert run_cli("dofek", "check", "--strict", cwd=work).returncode == 1
    report = json.loads(run_cli("dofek", "check", "--json", cwd=work).stdout)
    assert (report["config"], report["source"], report["history_len"]) == (str(user), "user config dir", 2)
    # the dashboard runs on it: refresh and history_len used, the rest left to Dofek
    result = run_cli("dofek", "run", "--json", "--ticks", "3", cwd=work)
    assert result.returncode == 0, result.stderr
    ticks = [json.loads(line) for line in result.stdout.splitlines()]
    assert ticks[-1]["refresh_ms"] == 200 and ticks[-1]["config"] == str(user)
    assert [len(m["history"]) for m in ticks[-1]["metrics"]] == [2]
    assert "warning:" in result.stderr and "Traceback" not in result.stderr
    verbose = run_cli("-v", "dofek", "poll", "--once", cwd=work)
    assert verbose.returncode == 0, verbose.stderr
    assert "dofek: ignored (Dofek's own panels, not used by devctl): [display]" in verbose.stderr
    # ./dofek.toml (then the repo root's) comes before the user's file
    write_config(work, 300, ("ok", "ok.py", ["local"], 2000))
    assert "(from current directory)" in run_cli("dofek", "check", cwd=work).stdout


def test_error_status_and_timeouts_show_on_the_panel(tmp_path: Path) -> None:
    conns = {"id": "p", "label": "P", "content": [{"key": "Conns", "value": "0"}]}
    replies = json.dumps([{"status": "error", "message": "backend down", "panels": [conns]}])
    hang = json.dumps([{"status": "", "manifest": None,
                        "panels": [{"id": "p", "label": "P", "content": [{"key": "Up", "value": "yes"}]}]},
                       "hang"])
    write_config(tmp_path, 200, ("err", "sequence.py", [replies], 2000), ("hung", "sequence.py", [hang], 500))
    result = run_cli("dofek", "poll", "--once", cwd=tmp_path)
    assert result.returncode == 1
    # a plugin that only ever reports errors never became healthy; its panel is shown anyway
    assert "◌ err starting  ✕ error: backend down  Conns 0" in result.stdout
    assert "failed: err: plugin reported an error: backend down" in result.stderr
    result = run_cli("dofek", "run", "--ticks", "10", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    last = result.stdout.split("dofek  tick 10")[1]
    assert "hung" in last and "⏱ timed out since" in last and "no reply within 500 ms" in last
    assert "Up yes" in last  # the last panel is kept, marked
    result = run_cli("dofek", "run", "--json", "--ticks", "10", cwd=tmp_path)
    plugins = json.loads(result.stdout.splitlines()[-1])["plugins"]
    hung = next(p for p in plugins if p["config_name"] == "hung")
    assert hung["timed_out"]["timeout_ms"] == 500 and hung["timed_out"]["for_s"] > 0
