"""`devctl plugins check`: every fixture plugin in testdata/plugins/ gets its verdict.

Each fixture is listed in EXPECTED with the check(s) it must fail — or none when it is a good
plugin — so a fixture added later without a verdict fails `test_every_fixture_has_a_verdict`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.cli import run_cli

TESTDATA = Path(__file__).resolve().parents[2] / "testdata" / "plugins"
PASS: tuple[str, ...] = ()

#: fixture -> (extra args, checks that must fail; empty = the plugin must pass every check).
#: "{tmp}" in an argument is replaced by a temp directory; None = not a plugin (skipped).
EXPECTED: dict[str, tuple[list[str], tuple[str, ...]] | None] = {
    "cmd_bad_names.py": ([], ("op commands.list",)),
    "cmd_collide.py": (["alpha"], PASS),
    "cmd_echo.py": ([], PASS),
    "cmd_handshake_only.py": ([], PASS),
    "cmd_sdk.py": ([], PASS),
    "cmd_slow_list.py": ([], ("op commands.list",)),
    "cmd_stream_fail.py": ([], PASS),
    "cmd_stream_many.py": ([], PASS),
    "host_bad_handshake.py": ([], ("handshake",)),
    "host_bash.sh": ([], ("op test.nope",)),  # declares test.nope, then refuses it
    "host_blank_lines.py": ([], ("stdout clean",)),  # devctl skips blank lines; the check reports them
    "host_closes_stdin.py": ([], ("op test.echo",)),
    "host_crash.py": ([], ("op test.crash",)),
    "host_escapee.py": ([], ("op test.escape",)),  # the child that escapes is not asked for here
    "host_grandchild.py": ([], ("undeclared op", "exits on stdin close")),  # leaves its sleep behind
    "host_hang.py": ([], ("op test.hang", "undeclared op", "request ids")),
    "host_long_line.py": ([], ("stdout clean", "op test.big")),
    "host_min.py": ([], ("undeclared op",)),  # answers every op ok:true
    "host_noisy_after.py": ([], ("stdout clean",)),
    "host_noisy_before.py": ([], ("handshake", "stdout clean")),
    "host_noisy_idle.py": ([], ("stdout clean", "op validate.run")),
    "host_noisy_no_newline.py": ([], ("stdout clean",)),
    "host_no_ops.py": ([], PASS),  # no capabilities.ops: no ops (a warning in the handshake check)
    "host_ok.py": ([], PASS),
    "host_silent.py": ([], ("op config.mutate", "undeclared op", "request ids")),  # never answers
    "host_slow_handshake.py": ([], ("handshake",)),
    "host_stream.py": ([], ("undeclared op",)),  # answers every op ok:true
    "host_stream_fail.py": ([], ("undeclared op",)),
    "host_unsupported.py": ([], ("op build.run",)),  # declared, then E_UNSUPPORTED
    "host_wrong_id.py": ([], ("request ids",)),
    "pipe_bad_service.py": ([], ("op launch.plan",)),
    "pipe_collide_a.py": ([], PASS),
    "pipe_collide_b.py": ([], PASS),
    "pipe_config_port.py": (["8080"], PASS),
    "pipe_lib.py": None,  # the helper the pipe_* fixtures import
    "pipe_needs_key.py": ([], ("op config.mutate", "op launch.plan")),  # alone it lacks ports.web
    "pipe_eof_marker.py": (["{tmp}/stdin-ended"], PASS),
    "pipe_ok.py": ([], PASS),
    "pipe_order.py": (["first", "{tmp}/order.log"], PASS),
    "pipe_patch_through.py": ([], ("op config.mutate",)),
    "pipe_slow.py": (["0.1"], PASS),
    "pipe_step_fail.py": ([], PASS),
    "pipe_steps.py": ([], PASS),  # a failed step is a result, not a protocol error
    "pipe_validate_fail.py": ([], PASS),
    "pipe_validate_then_bad_plan.py": (["{tmp}/called.log"], ("op launch.plan",)),
    "sup_plan.py": (["{tmp}/plan.json"], PASS),
}


def entry(pid: str, fixture: str) -> str:
    return f"  - id: {pid}\n    path: {sys.executable}\n    args: [{json.dumps(str(TESTDATA / fixture))}]\n"


def fixtures() -> list[str]:
    return sorted(p.name for p in TESTDATA.iterdir() if p.is_file() and p.suffix in (".py", ".sh"))


def command(name: str, args: list[str], tmp: Path) -> list[str]:
    path = str(TESTDATA / name)
    argv = [path] if name.endswith(".sh") else [sys.executable, path]
    return argv + [a.replace("{tmp}", str(tmp)) for a in args]


def test_every_fixture_has_a_verdict():
    missing = [name for name in fixtures() if name not in EXPECTED]
    assert not missing, (f"add a verdict for {missing} to EXPECTED in {Path(__file__).name}: "
                         "which conformance checks must it fail (none for a good plugin)?")


@pytest.mark.parametrize("name", [n for n in fixtures() if EXPECTED.get(n) is not None])
def test_fixture_verdict(name: str, tmp_path: Path):
    """Every plugin fixture (libraries have the verdict None) gets exactly its expected checks."""
    args, must_fail = EXPECTED[name]
    (tmp_path / "plan.json").write_text(json.dumps({"services": [{"name": "web", "command": ["true"]}]}))
    res = run_cli("plugins", "check", "--timeout", "3", "--json", "--", *command(name, args, tmp_path),
                  cwd=tmp_path, timeout=90)
    report = json.loads(res.stdout)
    failed = {c["check"] for c in report["checks"] if c["status"] == "fail"}
    if not must_fail:
        assert res.returncode == 0 and report["ok"], f"{name} should pass, failed: {report['checks']}"
    else:
        assert res.returncode == 1 and not report["ok"]
        assert set(must_fail) <= failed, f"{name}: expected {must_fail} to fail, failed: {sorted(failed)}"
        for check in report["checks"]:
            if check["status"] == "fail":
                assert check["fix"], f"{name}: failing check {check['check']} has no fix"


def test_readable_report_of_a_configured_plugin(tmp_path: Path):
    (tmp_path / ".devctl.yaml").write_text("plugins:\n" + entry("noisy", "host_noisy_after.py")
                                           + entry("good", "cmd_echo.py"))
    res = run_cli("plugins", "check", "noisy", cwd=tmp_path)
    assert res.returncode == 1
    assert "FAIL  stdout clean" in res.stdout and "fix: stdout carries protocol frames only" in res.stdout
    assert "PASS  handshake" in res.stdout and "failed" in res.stdout.splitlines()[-1]
    res = run_cli("plugins", "check", "good", cwd=tmp_path)
    assert res.returncode == 0 and "0 failed" in res.stdout


def test_a_configured_plugin_is_checked_with_the_config_of_the_plugins_before_it(tmp_path: Path):
    """Regression: `plugins check ID` gave the plugin an empty config, so one that reads a key an
    earlier plugin sets (here `ports.web`, from pipe_ok) failed there and worked in `devctl plan`."""
    (tmp_path / ".devctl.yaml").write_text("plugins:\n" + entry("a-ok", "pipe_ok.py")
                                           + entry("b-needs", "pipe_needs_key.py"))
    res = run_cli("plugins", "check", "b-needs", cwd=tmp_path)
    assert res.returncode == 0, res.stdout
    assert "with the config the plugins before it made (a-ok)" in res.stderr
    res = run_cli("plugins", "check", "b-needs", "--json", cwd=tmp_path)
    assert json.loads(res.stdout)["config_from"] == ["a-ok"]
    res = run_cli("plugins", "check", "a-ok", cwd=tmp_path)  # the first one starts from nothing
    assert res.returncode == 0 and "plugins before it" not in res.stderr


@pytest.mark.parametrize("args, message", [
    ([], "give a plugin id"),
    (["nope"], "no plugin 'nope'"),
    (["good", "--", "python3", "x.py"], "give a plugin id"),
])
def test_usage_errors(tmp_path: Path, args, message):
    (tmp_path / ".devctl.yaml").write_text("plugins:\n" + entry("good", "cmd_echo.py"))
    res = run_cli("plugins", "check", *args, cwd=tmp_path)
    assert res.returncode == 2 and message in res.stderr


def test_a_command_that_cannot_start(tmp_path: Path):
    res = run_cli("plugins", "check", "--", str(tmp_path / "missing-plugin"), cwd=tmp_path)
    assert res.returncode == 1 and "FAIL  start" in res.stdout and "cannot start" in res.stdout


#: A plugin with three mistakes a new author makes: a v2 handshake (its shape is wrong, not its
#: timing), and — in MISTAKES below — junk after a response and silence on an undeclared op.
WRONG_VERSION = ('import json\nprint(json.dumps({"type": "handshake", "protocol_version": "v2", '
                 '"plugin_name": "x", "capabilities": {"ops": []}}), flush=True)\n')
MISTAKES = '''import json, sys
print(json.dumps({"type": "handshake", "protocol_version": "v1", "plugin_name": "m",
                  "capabilities": {"ops": ["config.mutate"]}}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    if req["op"] == "config.mutate":
        out = {"type": "response", "request_id": req["request_id"], "ok": True,
               "output": {"config_patch": {"set": {"a": 1}}}}
        print(json.dumps(out), "(done)", flush=True)
'''


def check_report(tmp_path: Path, source: str) -> dict[str, dict]:
    plugin = tmp_path / "plugin.py"
    plugin.write_text(source)
    res = run_cli("plugins", "check", "--timeout", "3", "--json", "--", sys.executable, str(plugin),
                  cwd=tmp_path, timeout=90)
    assert res.returncode == 1, res.stdout + res.stderr
    return {c["check"]: c for c in json.loads(res.stdout)["checks"]}


def test_each_failure_gets_the_fix_for_what_went_wrong(tmp_path: Path):
    """Regression: a wrong-shaped handshake was told to flush its first line; a response with
    junk after it was reported as a timeout; silence on an undeclared op was told about
    deadlines instead of E_UNSUPPORTED."""
    hs = check_report(tmp_path, WRONG_VERSION)["handshake"]
    assert "'v2'" in hs["detail"] and '"protocol_version": "v1"' in hs["fix"] and "flush" not in hs["fix"]

    checks = check_report(tmp_path, MISTAKES)
    mutate = checks["op config.mutate"]
    assert mutate["status"] == "fail" and "(done)" in mutate["detail"]
    assert "no response" not in mutate["detail"] and "one JSON object on its own line" in mutate["fix"]
    undeclared = checks["undeclared op"]
    assert undeclared["status"] == "fail" and "no response" in undeclared["detail"]
    assert "E_UNSUPPORTED" in undeclared["fix"]


def test_a_plugin_that_never_answers_fails_request_ids(tmp_path: Path):
    """Regression (issue 13): "request ids" passed for a plugin that never answered, because it
    counted the requests sent."""
    res = run_cli("plugins", "check", "--timeout", "1", "--json", "--", sys.executable,
                  str(TESTDATA / "host_silent.py"), cwd=tmp_path, timeout=60)
    ids = {c["check"]: c for c in json.loads(res.stdout)["checks"]}["request ids"]
    assert res.returncode == 1 and ids["status"] == "fail"
    assert ids["detail"].startswith("2 of 2 request(s) got no response: config.mutate (check-1-")
    assert "request_id" in ids["fix"]
    res = run_cli("plugins", "check", "--json", "--", sys.executable, str(TESTDATA / "host_ok.py"),
                  cwd=tmp_path, timeout=60)
    ids = {c["check"]: c for c in json.loads(res.stdout)["checks"]}["request ids"]
    assert ids["status"] == "pass" and "answered" in ids["detail"]


def test_blank_lines_fail_stdout_clean_only_and_a_missing_ops_list_is_a_warning(tmp_path: Path):
    res = run_cli("plugins", "check", "--json", "--", sys.executable, str(TESTDATA / "host_blank_lines.py"),
                  cwd=tmp_path, timeout=60)
    checks = {c["check"]: c for c in json.loads(res.stdout)["checks"]}
    assert checks["stdout clean"]["status"] == "fail" and "empty line" in checks["stdout clean"]["detail"]
    assert checks["op config.mutate"]["status"] == "pass"  # the blank line is not taken as its answer
    res = run_cli("plugins", "check", "--json", "--", sys.executable, str(TESTDATA / "host_no_ops.py"),
                  cwd=tmp_path, timeout=60)
    checks = {c["check"]: c for c in json.loads(res.stdout)["checks"]}
    assert checks["handshake"]["status"] == "pass" and "[E_NO_OPS]" in checks["handshake"]["detail"]
