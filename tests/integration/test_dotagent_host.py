"""The dotagent host against real plugin processes: discovery, calls, timeouts, broken plugins."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from dotagent_fixtures import EXAMPLES, env_with, install, install_versioned, pids_alive

from devctl.dotagent import discovery
from devctl.dotagent.plugin import Plugin, open_plugin
from devctl.errors import ConfigError, PluginError
from tests.cli import run_cli

NOTIFY = {"kind": "notify", "agent": "a", "schedule": "s", "event": "success", "message": "m", "config": {}}


# -- discovery ---------------------------------------------------------------------------------
def test_discovery_order_each_level(tmp_path):
    """Same name on all four levels: each removal exposes the next level, in the spec's order."""
    env_dir, home, system, path_dir = (tmp_path / d for d in ("envdir", "home", "system", "bin"))
    user = home / ".config" / "dotagent" / "plugins"
    copies = [
        install_versioned(d, "twin", v)
        for d, v in ((env_dir, "env"), (user, "user"), (system, "system"), (path_dir, "path"))
    ]
    env = {
        "DOTAGENT_PLUGIN_PATH": f"{tmp_path / 'missing'}:{env_dir}",
        "HOME": str(home),
        "PATH": str(path_dir),
    }
    sysdirs = [str(system)]
    seen = []
    for copy in copies:
        found = discovery.find_plugin("twin", env, system_dirs=sysdirs)
        assert found is not None and found.path == copy
        seen.append((found.source, Plugin("twin", found.path).info().version))
        copy.unlink()
    assert seen == [("DOTAGENT_PLUGIN_PATH", "env"), ("user", "user"), ("system", "system"), ("PATH", "path")]
    assert discovery.find_plugin("twin", env, system_dirs=sysdirs) is None


def test_discovery_skips_non_executables_and_lists_shadows(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    (first).mkdir()
    (first / "dotagent-plugin-x").write_text("not executable")
    (first / "dotagent-plugin-dir").mkdir()
    winner = install_versioned(second, "x", "1")
    env = {"DOTAGENT_PLUGIN_PATH": f"{first}:{second}", "HOME": str(tmp_path / "h"), "PATH": ""}
    assert discovery.find_plugin("x", env, system_dirs=[]).path == winner
    install_versioned(tmp_path / "c", "x", "2")
    env["PATH"] = str(tmp_path / "c")
    listed = discovery.list_plugins(env, system_dirs=[])
    assert [(f.name, f.path, f.shadows) for f in listed] == [
        ("x", winner, (tmp_path / "c" / "dotagent-plugin-x",))
    ]


def test_not_found_says_where_it_looked(tmp_path):
    env = {"DOTAGENT_PLUGIN_PATH": str(tmp_path), "HOME": str(tmp_path), "PATH": ""}
    with pytest.raises(ConfigError) as info:
        open_plugin("nope", env=env, system_dirs=["/nonexistent-sys"])
    assert "dotagent-plugin-nope" in info.value.message
    assert str(tmp_path) in info.value.details[0] and "/nonexistent-sys" in info.value.details[0]


def test_cli_plugins_lists_every_level_and_broken_ones(tmp_path):
    home, envd, bindir = tmp_path / "home", tmp_path / "envd", tmp_path / "bin"
    install(envd, "good", "good")
    install(home / ".config" / "dotagent" / "plugins", "schemabad", "bad_schema")
    install(bindir, "silent", "not_json")
    res = run_cli(
        "dotagent",
        "plugins",
        "--json",
        env={"HOME": str(home), "DOTAGENT_PLUGIN_PATH": str(envd), "PATH": f"{bindir}:/usr/bin:/bin"},
    )
    assert res.returncode == 0, res.stderr
    rows = {r["name"]: r for r in json.loads(res.stdout)["plugins"]}
    assert rows["good"]["ok"] and rows["good"]["source"] == "DOTAGENT_PLUGIN_PATH"
    assert rows["good"]["info"]["version"] == "1.2.3" and rows["good"]["platform_supported"] is True
    assert not rows["schemabad"]["ok"] and rows["schemabad"]["source"] == "user"
    assert any("not a valid JSON Schema" in d for d in rows["schemabad"]["details"])
    assert rows["silent"]["source"] == "PATH" and rows["silent"]["ok"]  # info itself is fine
    human = run_cli(
        "dotagent",
        "plugins",
        env={"HOME": str(home), "DOTAGENT_PLUGIN_PATH": str(envd), "PATH": f"{bindir}:/usr/bin:/bin"},
    )
    assert "broken" in human.stdout and "good" in human.stdout


# -- calls -------------------------------------------------------------------------------------
def test_good_plugin_round_trip(tmp_path, monkeypatch):
    calls = tmp_path / "calls"
    monkeypatch.setenv("GOOD_CALLS", str(calls))
    plugin = Plugin("good", install(tmp_path, "good", "good"))
    info = plugin.info()
    assert info.kinds == ("notify", "preflight", "sink") and info.extra["homepage"]
    outcome = plugin.invoke({**NOTIFY, "config": {"greeting": "hi"}})
    assert outcome.ok and outcome.extra["echo"]["event"] == "success"
    assert outcome.stderr_tail == ["good: invoked"]
    assert plugin.validate({"greeting": "bad"}).error == "greeting must not be 'bad'"
    assert calls.read_text().split() == ["info", "invoke", "validate"]  # info cached


def test_schema_is_checked_before_validate_is_called(tmp_path, monkeypatch):
    calls = tmp_path / "calls"
    monkeypatch.setenv("GOOD_CALLS", str(calls))
    plugin = Plugin("good", install(tmp_path, "good", "good"))
    outcome = plugin.validate({"greeting": 5, "count": 0})
    assert not outcome.ok
    assert outcome.problems == [
        "$.count: 0 is less than the minimum of 1",
        "$.greeting: 5 is not of type 'string'",
    ]
    assert calls.read_text().split() == ["info"]  # validate never ran


def _hang_pids(pidfile):
    for _ in range(200):
        if pidfile.exists():
            return [int(p) for p in pidfile.read_text().split()]
        time.sleep(0.02)
    raise AssertionError("hang fixture never wrote its pids")


@pytest.mark.parametrize("escape", ["0", "1"], ids=["same-group", "child-in-new-session"])
def test_timeout_kills_the_whole_tree(tmp_path, monkeypatch, escape):
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("FIXTURE_PIDFILE", str(pidfile))
    monkeypatch.setenv("FIXTURE_ESCAPE", escape)
    plugin = Plugin("hang", install(tmp_path, "hang", "hang"))
    outcome = plugin.invoke(NOTIFY, timeout=1.5)
    pids = _hang_pids(pidfile)
    assert len(pids) == 2
    assert not outcome.ok and outcome.broken
    assert "did not answer within 1.5s" in outcome.error and "process group was stopped" in outcome.error
    assert outcome.stderr_tail == ["hang: waiting forever"]
    assert pids_alive(pids) == []


def test_timeout_escalates_to_sigkill(tmp_path, monkeypatch):
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("FIXTURE_PIDFILE", str(pidfile))
    monkeypatch.setenv("FIXTURE_IGNORE_TERM", "1")
    outcome = Plugin("hang", install(tmp_path, "hang", "hang")).invoke(NOTIFY, timeout=1.0)
    assert "did not answer within 1s" in outcome.error
    assert outcome.duration_s >= 5.0  # waited out the SIGTERM grace before SIGKILL
    assert pids_alive(_hang_pids(pidfile)) == []


def test_nonzero_exit_still_reads_error_suggest_and_stderr(tmp_path):
    outcome = Plugin("ej", install(tmp_path, "ej", "exit_json")).invoke(NOTIFY)
    assert not outcome.ok and outcome.exit_code == 3
    assert outcome.error == "disk is full (exited with code 3)"
    assert outcome.suggest == "free space on /tmp" and outcome.extra == {"used": "100%"}
    assert outcome.stderr_tail[-1] == "exit-json: diagnostic line 15" and len(outcome.stderr_tail) == 10


def test_non_json_stdout_is_quoted(tmp_path):
    outcome = Plugin("nj", install(tmp_path, "nj", "not_json")).invoke(NOTIFY)
    assert not outcome.ok and outcome.broken
    assert "not one JSON document" in outcome.error and "'Sending notification...'" in outcome.error


def test_missing_ok_is_refused(tmp_path):
    outcome = Plugin("no", install(tmp_path, "no", "no_ok")).invoke(NOTIFY)
    assert not outcome.ok and 'no "ok" field' in outcome.error


def test_invalid_schema_fails_info_with_every_problem(tmp_path):
    with pytest.raises(PluginError) as info:
        Plugin("bs", install(tmp_path, "bs", "bad_schema")).info()
    details = "\n".join(info.value.details)
    assert "invalid metadata" in info.value.message
    assert "webhook" in details and "$.type:" in details and "$.properties.url.type:" in details


def test_huge_output_is_capped_and_stopped(tmp_path):
    from devctl.dotagent.call import MAX_STDERR_BYTES, MAX_STDOUT_BYTES

    outcome = Plugin("huge", install(tmp_path, "huge", "huge")).invoke(NOTIFY)
    assert (
        not outcome.ok
        and outcome.error == f"stdout exceeded {MAX_STDOUT_BYTES} bytes; the plugin was stopped"
    )
    assert any(str(MAX_STDERR_BYTES) in n for n in outcome.notes)
    assert all(len(line) <= 301 for line in outcome.stderr_tail)


def test_missing_executable_and_bad_name(tmp_path):
    with pytest.raises(ConfigError, match="not a valid plugin name"):
        open_plugin("bad name", env={"HOME": str(tmp_path), "PATH": ""}, system_dirs=[])
    with pytest.raises(ConfigError, match="no executable file at that path"):
        open_plugin("./missing-plugin", base_dir=tmp_path)


# -- CLI verbs ---------------------------------------------------------------------------------
def _env(tmp_path):
    return {"DOTAGENT_PLUGIN_PATH": str(tmp_path / "plugins"), "HOME": str(tmp_path)}


def test_cli_validate_invoke_and_exit_codes(tmp_path):
    install(tmp_path / "plugins", "good", "good")
    install(tmp_path / "plugins", "ej", "exit_json")
    env = _env(tmp_path)
    cfg = tmp_path / "c.json"
    cfg.write_text('{"greeting": 7}')
    res = run_cli("dotagent", "validate", "good", str(cfg), env=env)
    assert res.returncode == 1 and "$.greeting: 7 is not of type 'string'" in res.stderr
    assert "exit code" not in res.stderr  # validate never ran: no timing line about it
    res = run_cli("dotagent", "validate", "good", "-", env=env, input='{"greeting": "hi"}')
    assert res.returncode == 0 and "config is valid" in res.stdout
    res = run_cli("dotagent", "validate", "good", "-", env=env, input='{"greeting": ')
    assert res.returncode == 2 and "<stdin>:1:14: config is not valid JSON" in res.stderr
    res = run_cli(
        "dotagent",
        "invoke",
        "good",
        "--kind",
        "sink",
        "--event",
        "success",
        "--message",
        "hi",
        "--config",
        str(cfg),
        env=env,
    )
    assert res.returncode == 1 and "schema" in res.stderr  # never sent: the schema refuses it
    cfg.write_text('{"greeting": "x"}')
    res = run_cli(
        "dotagent",
        "invoke",
        "good",
        "--kind",
        "sink",
        "--message",
        "hi",
        "--config",
        str(cfg),
        "--verbose",
        env=env,
    )
    assert res.returncode == 0 and "echo" in res.stdout
    res = run_cli("dotagent", "invoke", "ej", "--kind", "preflight", env=env)
    assert res.returncode == 1
    assert (
        "disk is full" in res.stderr
        and "free space on /tmp" in res.stderr
        and "diagnostic line 15" in res.stderr
    )
    payload = {**NOTIFY, "message": "fail", "config": {"greeting": "x"}}
    res = run_cli(
        "dotagent", "invoke", "good", "--payload", "-", "--json", env=env, input=json.dumps(payload)
    )
    assert res.returncode == 1 and json.loads(res.stdout)["suggest"] == "send another message"
    res = run_cli("dotagent", "invoke", "good", "--payload", "-", "--kind", "sink", env=env, input="{}")
    assert res.returncode == 2 and "cannot be combined" in res.stderr
    res = run_cli("dotagent", "info", "good", "--json", env=env)
    assert res.returncode == 0 and json.loads(res.stdout)["version"] == "1.2.3"


# -- example plugins: the spec's three-command test --------------------------------------------
@pytest.mark.parametrize(
    ("name", "config"),
    [
        ("notify-log", {"path": "events.log"}),
        ("sink-file", {"path": "out.txt", "mode": "write"}),
        ("preflight-cmd", {"command": ["true"]}),
    ],
)
def test_examples_pass_the_three_command_test(tmp_path, name, config):
    exe = str(EXAMPLES / f"dotagent-plugin-{name}")
    kind = {"notify-log": "notify", "sink-file": "sink", "preflight-cmd": "preflight"}[name]
    payload = {
        "kind": kind,
        "agent": "x",
        "schedule": "y",
        "event": "success",
        "message": "hi",
        "config": config,
    }

    def sh(cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", cmd], cwd=tmp_path, capture_output=True, text=True, timeout=30, env=env_with()
        )

    res = sh(f"echo '{json.dumps(config)}' | {exe} validate")
    assert res.returncode == 0 and json.loads(res.stdout) == {"ok": True}
    res = sh(f"echo '{json.dumps(payload)}' | {exe} invoke")
    assert res.returncode == 0 and json.loads(res.stdout)["ok"] is True, res.stdout + res.stderr
    res = sh(f"{exe} info | python3 -m json.tool")
    assert res.returncode == 0 and json.loads(res.stdout)["kinds"] == [kind]
    if name == "notify-log":
        line = json.loads((tmp_path / "events.log").read_text())
        assert line["payload"]["event"] == "success" and line["payload"]["message"] == "hi"
    if name == "sink-file":
        assert (tmp_path / "out.txt").read_text() == "hi\n"
        assert json.loads(sh(f"echo '{json.dumps(payload)}' | {exe} invoke").stdout)["written_to"] == str(
            tmp_path / "out.txt"
        )
