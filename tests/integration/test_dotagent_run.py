"""`devctl dotagent run`: full jobs with the example plugins, checked by what lands in notify-log."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dotagent_fixtures import EXAMPLES, FIXTURES, install

from tests.cli import run_cli

FLAKY = FIXTURES / "flaky_job.py"


def write_manifest(tmp_path: Path, body: str, *, needs: int = 1, job_args: str = "") -> Path:
    head = f"""
[agent]
name = "report"
timeout_seconds = 20

[run]
command = "{sys.executable}"
args = ["{FLAKY}", "counter", "{needs}"{job_args}]

[defaults]
max_retries = 3
retry_backoff_seconds = 0.1

[[notifiers]]
plugin = "notify-log"
config = {{ path = "events.log" }}
"""
    path = tmp_path / "agent.toml"
    path.write_text(head + body)
    return path


def env(tmp_path: Path) -> dict[str, str]:
    return {"DOTAGENT_PLUGIN_PATH": f"{EXAMPLES}:{tmp_path / 'plugins'}", "HOME": str(tmp_path)}


def events(tmp_path: Path) -> list[dict]:
    log = tmp_path / "events.log"
    if not log.exists():
        return []
    return [json.loads(line)["payload"] for line in log.read_text().splitlines()]


def test_full_run_retries_then_succeeds(tmp_path):
    manifest = write_manifest(
        tmp_path,
        """
[[preflight]]
plugin = "preflight-cmd"
config = { command = ["true"] }

[[on_success]]
plugin = "sink-file"
config = { path = "report.txt", mode = "write" }
""",
        needs=2,
    )
    res = run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "report: run 2 ok" in res.stdout  # the job's stdout is shown live
    assert (tmp_path / "report.txt").read_text() == "report: run 2 ok\nline two\n"
    got = events(tmp_path)
    assert [e["event"] for e in got] == ["attempt_failed", "success", "recovered"]
    assert all(e["agent"] == "report" and e["kind"] == "notify" and e["schedule"] == "manual" for e in got)
    assert "exited with code 7" in got[0]["message"] and "flaky: run 1 failing" in got[0]["message"]
    assert "attempt 1/3: exited with code 7" in res.stderr


def test_failed_preflight_aborts_attempts_with_suggest(tmp_path):
    manifest = write_manifest(
        tmp_path,
        """
[[preflight]]
plugin = "preflight-cmd"
config = { command = ["false"], suggest = "start the database first" }
""",
    )
    res = run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 1
    assert not (tmp_path / "counter").exists()  # the job never ran
    got = events(tmp_path)
    assert [e["event"] for e in got] == ["preflight"] * 3 + ["given_up"]
    assert "suggest: start the database first" in got[0]["message"]
    assert "start the database first" in res.stderr


def test_job_exit_code_is_passed_through_and_events_filtered(tmp_path):
    manifest = write_manifest(tmp_path, "", needs=99)
    text = manifest.read_text().replace(
        'config = { path = "events.log" }', 'config = { path = "events.log" }\nevents = ["given_up"]'
    )
    manifest.write_text(text.replace("max_retries = 3", "max_retries = 2"))
    res = run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 7
    assert [e["event"] for e in events(tmp_path)] == ["given_up"]
    assert (tmp_path / "counter").read_text() == "2"


def test_timeout_exits_124_and_kills_the_job(tmp_path):
    manifest = write_manifest(tmp_path, "", job_args=', "--sleep", "60"')
    manifest.write_text(
        manifest.read_text()
        .replace("timeout_seconds = 20", "timeout_seconds = 0.5")
        .replace("max_retries = 3", "max_retries = 1")
    )
    res = run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 124, res.stderr
    assert [e["event"] for e in events(tmp_path)] == ["timed_out", "given_up"]
    assert "timed out after 0.5s" in res.stderr


def test_hanging_sink_is_reported_but_the_run_stands(tmp_path):
    install(tmp_path / "plugins", "stuck", "hang")
    manifest = write_manifest(
        tmp_path,
        """
[[on_success]]
plugin = "stuck"
timeout_seconds = 1
""",
    )
    hang_env = {**env(tmp_path), "FIXTURE_HANG_VERBS": "invoke"}
    res = run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=hang_env)
    assert res.returncode == 0, res.stderr
    assert "sink stuck failed: invoke did not answer within" in res.stderr
    got = [e["event"] for e in events(tmp_path)]
    assert got == ["attempt_failed", "success"]


def test_bad_plugin_config_stops_before_running(tmp_path):
    manifest = write_manifest(
        tmp_path,
        """
[[on_success]]
plugin = "sink-file"
config = { path = 5, mode = "overwrite" }

[[notifiers]]
plugin = "no-such-plugin"
""",
    )
    res = run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 1  # a plugin is not found: 1, as upstream's CLI
    assert "2 plugin problem(s); nothing was run" in res.stderr
    assert "$.path: 5 is not of type 'string'" in res.stderr and "$.mode:" in res.stderr
    assert "dotagent-plugin-no-such-plugin" in res.stderr
    assert not (tmp_path / "counter").exists()


def test_dry_run_prints_and_starts_nothing(tmp_path):
    manifest = write_manifest(tmp_path, '[[on_success]]\nplugin = "sink-file"\nconfig = { path = "r.txt" }\n')
    res = run_cli("dotagent", "run", str(manifest), "--dry-run", cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 0, res.stderr
    assert str(FLAKY) in res.stdout and "attempts: 3" in res.stdout
    assert str(EXAMPLES / "dotagent-plugin-sink-file") in res.stdout
    assert not (tmp_path / "counter").exists() and not (tmp_path / "events.log").exists()


def test_doctor_reports_errors_and_warnings(tmp_path):
    install(tmp_path / "plugins", "bs", "bad_schema")
    manifest = write_manifest(
        tmp_path,
        """
[[preflight]]
plugin = "notify-log"
config = { path = "x.log" }

[[on_success]]
plugin = "bs"

[[on_failure]]
plugin = "sink-file"
config = { path = "nodir/out.txt" }

[extra]
x = 1
""",
    )
    res = run_cli("dotagent", "doctor", str(manifest), "--json", cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 1
    report = json.loads(res.stdout)
    by_where = {f["where"]: f for f in report["findings"]}
    assert "used as preflight" in by_where["agent.toml [[preflight]] #1 (notify-log)"]["message"]
    assert "invalid metadata" in by_where["agent.toml [[on_success]] #1 (bs)"]["message"]
    assert "does not exist" in by_where["agent.toml [[on_failure]] #1 (sink-file)"]["message"]
    assert any(f["severity"] == "warning" and "[extra]" in f["message"] for f in report["findings"])
    ok_uses = [u for u in report["uses"] if u["ok"]]
    assert [u["plugin"] for u in ok_uses] == ["notify-log"]
    good = write_manifest(tmp_path, "")
    res = run_cli("dotagent", "doctor", str(good), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 0 and "0 error(s)" in res.stderr
