"""`devctl dotagent run` / `doctor` with manifests in upstream dotagent's format (written here
from its schema): upstream keys, TOML 1.1, the AGENT_* variables, events and payloads as
upstream's runner sends them, and its exit codes."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from dotagent_fixtures import EXAMPLES, FIXTURES, install

from tests.cli import run_cli

ENV_JOB = FIXTURES / "env_job.py"
FLAKY = FIXTURES / "flaky_job.py"


def env(tmp_path: Path) -> dict[str, str]:
    return {"DOTAGENT_PLUGIN_PATH": f"{tmp_path / 'plugins'}:{EXAMPLES}", "HOME": str(tmp_path)}


def payloads(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def write(tmp_path: Path, text: str) -> Path:
    install(tmp_path / "plugins", "rec", "recorder")
    path = tmp_path / "agent.toml"
    path.write_text(text)
    return path


UPSTREAM = f"""
# an agent in upstream's format, TOML 1.1 included
[agent]
name = "Cleanup"
description = "prunes caches"
monitor = false
timeout_seconds = 30

[run]
command = "{sys.executable}"
args = ["{ENV_JOB}", "--lines", "600"]

[env]
inherit = false

[env.extra]
KEEP_DAYS = "7"

[defaults]
max_retries = 3
retry_backoff_minutes = [5, 15, 30]
stale_after_minutes = 120

[[schedules]]
id = "nightly"
type = "cron"
weekdays = [1, 2, 3, 4, 5]
hours = [2]
args = ["--Period", "last week"]

[[schedules]]
id = "hourly"
type = "interval"
interval_minutes = 60
args = []

[[preflight]]
plugin = "rec"
config = {{
  log = "preflight.jsonl",
  fail = false,
}}

[[on_success]]
plugin = "rec"
config = {{ log = "success.jsonl" }}

[[notifiers]]
driver = "desktop"
title = "cleanup"
sound = true
events = ["given_up"]

[[notifiers]]
driver = "plugin"
name = "rec"
config = {{ log = "events.jsonl" }}

[security]
allowed_commands = ["python3"]
"""


def test_upstream_manifest_runs_as_is(tmp_path):
    manifest = write(tmp_path, UPSTREAM)
    before = int(time.time())
    res = run_cli("dotagent", "run", str(manifest), "--schedule", "nightly", cwd=tmp_path, env=env(tmp_path))
    after = int(time.time())
    assert res.returncode == 0, res.stderr
    assert "'desktop' is built into upstream's daemon; devctl does not send it" in res.stderr
    assert "Traceback" not in res.stderr and "unknown key" not in res.stderr

    snap = json.loads((tmp_path / "env.json").read_text())
    agent = snap["agent"]
    tmpdir = agent.pop("AGENT_TMPDIR")
    assert snap["tmpdir_was_dir"] and not Path(tmpdir).exists()  # fresh per attempt, removed after
    assert before <= int(agent.pop("AGENT_START_EPOCH")) <= after
    assert agent == {
        "AGENT_NAME": "Cleanup",
        "AGENT_HOME": str(tmp_path.resolve()),
        "AGENT_DRY_RUN": "false",
        "AGENT_SCHEDULE_ID": "nightly",
        "AGENT_SLUG": "period_last_week",
        "AGENT_ARGV": '["--Period","last week"]',
        "AGENT_HEARTBEAT_FILE": str(
            tmp_path / ".config/dotagent/state/agents/Cleanup/period_last_week.heartbeat.json"),
    }
    # [env] inherit = false: only the extra variables (and AGENT_*), not our PATH.
    assert snap["extra"] == {"KEEP_DAYS": "7", "PATH": None}
    assert snap["argv"] == ["--lines", "600", "--Period", "last week"]

    [pre] = payloads(tmp_path / "preflight.jsonl")
    assert (pre["kind"], pre["event"], pre["schedule"]) == ("preflight", "preflight", "nightly")
    assert pre["message"] is None
    [sink] = payloads(tmp_path / "success.jsonl")
    assert sink["event"] == "success" and sink["kind"] == "sink"
    assert sink["message"] == "\n".join(f"line {i}" for i in range(100, 600))  # last 500, no final newline
    assert [p["event"] for p in payloads(tmp_path / "events.jsonl")] == ["success"]

    res = run_cli("dotagent", "doctor", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "'desktop' is built into upstream's daemon" in res.stdout + res.stderr


def test_schedule_choice_with_several_schedules(tmp_path):
    manifest = write(tmp_path, UPSTREAM)
    res = run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 2 and "pick one with --schedule ID" in res.stderr
    assert "Traceback" not in res.stderr
    res = run_cli("dotagent", "run", str(manifest), "--schedule", "hourly", cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 0, res.stderr
    snap = json.loads((tmp_path / "env.json").read_text())
    assert snap["agent"]["AGENT_SLUG"] == "default" and snap["agent"]["AGENT_ARGV"] == "[]"
    assert not Path(snap["agent"]["AGENT_TMPDIR"]).exists()


def test_failed_preflight_sends_event_preflight_to_every_hook(tmp_path):
    manifest = write(tmp_path, f"""
[agent]
name = "gated"

[run]
command = "{sys.executable}"
args = ["{ENV_JOB}"]

[[preflight]]
plugin = "rec"
config = {{ log = "preflight.jsonl", fail = true }}

[[on_failure]]
plugin = "rec"
config = {{ log = "failure.jsonl" }}

[[notifiers]]
driver = "plugin"
name = "rec"
config = {{ log = "events.jsonl" }}
events = ["preflight"]
""")
    res = run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 1, res.stderr
    assert not (tmp_path / "env.json").exists()  # the job never ran
    [pre] = payloads(tmp_path / "preflight.jsonl")
    assert pre["message"] is None
    failure = payloads(tmp_path / "failure.jsonl")
    assert [p["event"] for p in failure] == ["preflight", "given_up"]  # no `events`: every failure event
    assert "preflight rec failed: recorder asked to fail (suggest: unset fail)" in failure[0]["message"]
    assert [p["event"] for p in payloads(tmp_path / "events.jsonl")] == ["preflight"]


def test_on_failure_attempt_failed_passes_doctor_and_fires(tmp_path):
    manifest = write(tmp_path, f"""
[agent]
name = "flaky"

[run]
command = "{sys.executable}"
args = ["{FLAKY}", "counter", "9"]

[defaults]
max_retries = 2
retry_backoff_minutes = [0]

[[on_failure]]
plugin = "rec"
config = {{ log = "failure.jsonl" }}
events = ["attempt_failed"]

[[on_failure]]
plugin = "notify-log"
config = {{ path = "notify.log" }}
events = ["recovered", "given_up"]
""")
    res = run_cli("dotagent", "doctor", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 0, res.stdout + res.stderr
    res = run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 7
    assert (tmp_path / "counter").read_text() == "2"  # max_retries = 2: two attempts
    failure = payloads(tmp_path / "failure.jsonl")
    assert [p["event"] for p in failure] == ["attempt_failed", "attempt_failed"]
    assert all(p["kind"] == "sink" and "exited with code 7" in p["message"] for p in failure)
    # A notify plugin may serve as on_failure hook (upstream calls them with kind notify).
    [logged] = [json.loads(line)["payload"] for line in (tmp_path / "notify.log").read_text().splitlines()]
    assert (logged["kind"], logged["event"]) == ("notify", "given_up")


def test_exit_codes_of_a_missing_plugin(tmp_path):
    e = env(tmp_path)
    for argv in (["info", "nosuch"], ["validate", "nosuch"], ["invoke", "nosuch", "--kind", "notify"]):
        res = run_cli("dotagent", *argv, cwd=tmp_path, env=e)
        assert res.returncode == 1, (argv, res.stderr)
        assert "dotagent plugin 'nosuch' not found" in res.stderr and "Traceback" not in res.stderr
    base = f'[agent]\nname = "x"\n[run]\ncommand = "{sys.executable}"\nargs = ["{ENV_JOB}"]\n'
    manifest = write(tmp_path, base + '[[on_success]]\nplugin = "nosuch"\n')
    assert run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=e).returncode == 1
    assert run_cli("dotagent", "doctor", str(manifest), cwd=tmp_path, env=e).returncode == 1
    manifest.write_text(base + '[[on_success]]\nplugin = "rec"\nconfig = { log = 5 }\n')
    res = run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=e)
    assert res.returncode == 2 and "$.log: 5 is not of type 'string'" in res.stderr  # a bad config stays 2
    assert not (tmp_path / "env.json").exists()


def test_unknown_keys_warn_and_strict_refuses(tmp_path):
    manifest = write(tmp_path, f"""
[agent]
name = "x"
timout_seconds = 5

[run]
command = "{sys.executable}"
args = ["{ENV_JOB}"]
""")
    res = run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "[agent].timout_seconds: unknown key, ignored" in res.stderr and "rule unknown-key" in res.stderr
    (tmp_path / "env.json").unlink()
    res = run_cli("--strict", "dotagent", "run", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 2 and "[agent].timout_seconds: unknown key" in res.stderr
    assert not (tmp_path / "env.json").exists()
    res = run_cli("--strict", "dotagent", "doctor", str(manifest), "--json", cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 1
    [finding] = json.loads(res.stdout)["findings"]
    assert finding["severity"] == "error" and finding["code"] == "unknown-key"


def test_ignored_upstream_settings_are_listed_at_v(tmp_path):
    manifest = write(tmp_path, UPSTREAM)
    res = run_cli("-v", "dotagent", "run", str(manifest), "--schedule", "hourly", "--dry-run",
                  cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "[agent].monitor: accepted, not used" in res.stderr
    assert "[security]: accepted, not used" in res.stderr
    assert "attempts: 3, 300s, 900s, 1800s apart" in res.stdout
    assert not (tmp_path / "env.json").exists()


def test_upstream_preflight_cmd_snippet_runs_with_the_example_plugin(tmp_path):
    """The shape of upstream's preflight-cmd docs: a program name, `args`, `expect_exit`,
    `expect_contains`, written as a multi-line inline table."""
    manifest = write(tmp_path, f"""
[agent]
name = "gh-report"

[run]
command = "{sys.executable}"
args = ["{ENV_JOB}"]

[[preflight]]
plugin = "preflight-cmd"
config = {{
  command = "{sys.executable}",
  args = ["-c", "print('logged in')"],
  expect_exit = 0,
  expect_contains = "logged in"
}}
""")
    res = run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "env.json").exists()
    (tmp_path / "env.json").unlink()
    text = manifest.read_text().replace('expect_contains = "logged in"', 'expect_contains = "token"')
    manifest.write_text(text)
    res = run_cli("dotagent", "run", str(manifest), cwd=tmp_path, env=env(tmp_path))
    assert res.returncode == 1 and "output does not contain 'token'" in res.stderr
    assert not (tmp_path / "env.json").exists()
