"""Warnings that name their rule, and `--strict` making them errors (issue 13), through the real
CLI with real plugin processes: contamination nobody asked about, and the Go host's tolerances
(a blank stdout line, a handshake without capabilities.ops).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.cli import run_cli

PLUGINS = Path(__file__).resolve().parents[2] / "testdata" / "plugins"


def repo(root: Path, *fixtures: tuple[str, str]) -> Path:
    entries = "".join(
        f"  - id: {pid}\n    path: {sys.executable}\n    args: [{json.dumps(str(PLUGINS / f))}]\n"
        for pid, f in fixtures)
    (root / ".devctl.yaml").write_text("plugins:\n" + entries)
    return root


def test_contamination_of_a_plugin_nobody_asked_is_a_warning_then_strict_an_error(tmp_path: Path):
    """Regression: `plan` was silent about a plugin that wrote junk right after its handshake,
    because no request was ever sent to it."""
    repo(tmp_path, ("ok", "pipe_ok.py"), ("noisy", "host_noisy_idle.py"))
    res = run_cli("plan", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert [s["name"] for s in json.loads(res.stdout)["services"]] == ["web", "worker"]
    assert "warning" in res.stderr and "plugin 'noisy' [E_CONTAMINATION]" in res.stderr
    assert "'DEBUG connected to the metrics daemon'" in res.stderr and "--strict" in res.stderr

    res = run_cli("--strict", "plan", "--json", cwd=tmp_path)
    assert res.returncode == 1 and res.stdout == "", res.stderr
    assert "plugin 'noisy' [E_CONTAMINATION]" in res.stderr and "DEBUG connected" in res.stderr
    assert "--strict" in res.stderr and "Traceback" not in res.stderr


def test_contamination_of_a_plugin_the_command_needs_is_an_error(tmp_path: Path):
    repo(tmp_path, ("noisy", "host_noisy_idle.py"))
    res = run_cli("validate", cwd=tmp_path)
    assert res.returncode == 1
    assert "plugin 'noisy' [E_CONTAMINATION]" in res.stderr and "'DEBUG connected" in res.stderr
    # Read before the request ("op ... was not sent") or while it waited ("while running op ..."):
    # an error either way, since validate needs this plugin.
    assert "op 'validate.run'" in res.stderr and "warning" not in res.stderr


def test_blank_lines_are_skipped_with_a_warning_and_refused_under_strict(tmp_path: Path):
    repo(tmp_path, ("blank", "host_blank_lines.py"))
    res = run_cli("plan", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["config"] == {"blank": {"seen": True}}
    assert res.stderr.count("[E_BLANK_LINE]") == 1 and "plugin 'blank'" in res.stderr
    assert "Go devctl" in res.stderr and "--strict" in res.stderr

    res = run_cli("--strict", "plan", cwd=tmp_path)
    assert res.returncode == 1 and "plugin 'blank' [E_BLANK_LINE]" in res.stderr
    assert "blank line" in res.stderr and "Traceback" not in res.stderr


def test_a_handshake_without_ops_means_no_ops_with_a_warning(tmp_path: Path):
    repo(tmp_path, ("ok", "pipe_ok.py"), ("bare", "host_no_ops.py"))
    res = run_cli("plan", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "plugin 'bare' [E_NO_OPS]" in res.stderr and "capabilities.ops" in res.stderr
    res = run_cli("plugins", "list", "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr

    res = run_cli("--strict", "plan", cwd=tmp_path)
    assert res.returncode == 1 and "plugin 'bare' [E_NO_OPS]" in res.stderr
    assert "--strict" in res.stderr and "Traceback" not in res.stderr


def test_strict_refuses_a_plugin_command_whose_handshake_has_no_ops(tmp_path: Path):
    """Regression: the warning said `--strict` makes E_NO_OPS an error, but a plugin command
    started its provider without `--strict` and ran anyway."""
    (tmp_path / ".devctl.yaml").write_text(
        f"plugins:\n  - id: ex\n    path: {sys.executable}\n"
        f"    args: [{json.dumps(str(PLUGINS / 'cmd_handshake_only.py'))}, --no-ops]\n")
    ran = tmp_path / "ran.log"
    res = run_cli("--strict", "db-reset", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert "plugin 'ex' [E_NO_OPS]" in res.stderr and "Traceback" not in res.stderr
    assert not ran.exists()

    res = run_cli("db-reset", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "[E_NO_OPS]" in res.stderr and "--strict makes it an error" in res.stderr
    assert len(ran.read_text().splitlines()) == 1
