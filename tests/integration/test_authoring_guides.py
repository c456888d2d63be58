"""Every code block in the Dofek and dotagent authoring guides runs, in order, in a fresh dir.

Same conventions as test_plugin_authoring_doc.py: a block with `file=PATH` writes PATH; a
```bash``` block runs each line (`# exits N` at the end gives the expected exit status, default
0). Any other block fails the test, so the guides hold no untested snippet.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```$", re.M | re.S)
EXITS = re.compile(r"\s+#\s*exits\s+(\d+)\s*$")


def run_guide(name: str, cwd: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run the guide's blocks; returns each bash line's result, keyed by the line."""
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("DATABASE_URL", None)
    outputs: dict[str, subprocess.CompletedProcess[str]] = {}
    for kind, info, body in BLOCK.findall((DOCS / name).read_text()):
        attrs = dict(part.split("=", 1) for part in info.split() if "=" in part)
        if "file" in attrs:
            target = cwd / attrs["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body)
            continue
        assert kind == "bash", f"a ```{kind}{info}``` block in {name} that the test cannot run"
        for line in body.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            expected = 0
            match = EXITS.search(line)
            if match:
                expected, line = int(match[1]), line[: match.start()]
            res = subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True,
                                 timeout=60, stdin=subprocess.DEVNULL)
            shown = f"{line!r} exited {res.returncode}:\n{res.stdout}\n{res.stderr}"
            assert res.returncode == expected, shown
            outputs[line.strip()] = res
    return outputs


def test_dofek_guide(tmp_path: Path):
    out = run_guide("authoring-dofek.md", tmp_path)
    [by_hand] = [r for line, r in out.items() if line.startswith("echo")]
    reply = json.loads(by_hand.stdout)
    assert reply["manifest"]["name"] == "disk"
    assert reply["metrics"][0]["id"] == "disk.free_pct"
    assert reply["process_annotations"] == [{"pid": 1, "label": "watched (python)", "category": "watch"}]
    assert "no findings" in out["devctl dofek check -- python3 dofek-disk.py --watch python"].stdout
    snapshot = json.loads(out["devctl dofek poll --once --json"].stdout)
    assert [(p["name"], p["state"]) for p in snapshot["plugins"]] == [("disk", "healthy")]
    assert [m["id"] for m in snapshot["metrics"]] == ["disk.free_pct"]
    mine = [row for row in snapshot["processes"] if row["pid"] == os.getpid()]
    # This test's own interpreter is a python process, so the plugin labels it (unless a
    # process title, as a pytest-xdist worker sets, hides the name the plugin matches on).
    if mine and "python" in mine[0]["name"]:
        assert any(a["label"] == "watched (python)" for a in mine[0]["annotations"])


def test_dotagent_guide(tmp_path: Path):
    out = run_guide("authoring-dotagent.md", tmp_path)
    info = json.loads(out["plugins/dotagent-plugin-env-check info"].stdout)
    assert info["kinds"] == ["preflight"]
    invoke = next(r for line, r in out.items() if line.endswith("plugins/dotagent-plugin-env-check invoke"))
    assert json.loads(invoke.stdout) == {"ok": True}
    bad = next(r for line, r in out.items() if '"require": "HOME"' in line)
    assert "$.require: 'HOME' is not of type 'array'" in bad.stdout + bad.stderr
    # The table may wrap long cells: compare without the layout.
    failed = re.sub(r"[\s│┃]+", "", out["devctl validate"].stdout)
    assert "E_PREFLIGHT" in failed and "notset:DATABASE_URL" in failed
    assert "copy.env.exampleto.env" in failed
