"""`devctl schema` through the real CLI: prints the schema, writes it atomically, fails clearly."""

from __future__ import annotations

import json
from pathlib import Path

from devctl.schema import config_schema
from tests.cli import run_cli


def test_devctl_schema_prints_the_schema():
    result = run_cli("schema")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == config_schema()


def test_devctl_schema_output_writes_the_file_and_the_modeline(tmp_path: Path):
    (tmp_path / ".devctl.yaml").write_text("plugins: []\n")
    result = run_cli("schema", "-o", ".devctl.schema.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / ".devctl.schema.json").read_text()) == config_schema()
    assert "# yaml-language-server: $schema=./.devctl.schema.json" in result.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_devctl_schema_output_to_a_missing_directory_fails_clearly(tmp_path: Path):
    result = run_cli("schema", "-o", str(tmp_path / "nope" / "s.json"))
    assert result.returncode == 1
    assert "cannot write the schema" in result.stderr and "No such file" in result.stderr
