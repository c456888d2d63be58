"""Every code block in docs/plugin-authoring.md runs, in order, in a fresh repo.

Block kinds: ```python/yaml file=PATH``` writes PATH; ```python add=PATH``` inserts the code
before PATH's `plugin.run()` line; ```bash``` runs each line (a trailing `# exits N` gives the
expected exit status, default 0). Any other block fails the test, so no snippet goes untested.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugin-authoring.md"
BLOCK = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```$", re.M | re.S)
EXITS = re.compile(r"\s+#\s*exits\s+(\d+)\s*$")


def blocks() -> list[tuple[str, dict[str, str], str]]:
    found = []
    for kind, info, body in BLOCK.findall(DOC.read_text()):
        attrs = dict(part.split("=", 1) for part in info.split() if "=" in part)
        found.append((kind, attrs, body))
    return found


def test_every_snippet_runs(tmp_path: Path):
    # An activated virtualenv, as the tutorial asks: its bin dir (devctl, python3) first on PATH.
    env = dict(os.environ, NO_COLOR="1", COLUMNS="200")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    outputs: dict[str, subprocess.CompletedProcess[str]] = {}
    ran = 0
    for kind, attrs, body in blocks():
        if "file" in attrs:
            target = tmp_path / attrs["file"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body)
        elif "add" in attrs:
            target = tmp_path / attrs["add"]
            text = target.read_text()
            assert "\nplugin.run()\n" in text
            target.write_text(text.replace("\nplugin.run()\n", f"\n{body}\n\nplugin.run()\n"))
        elif kind == "bash":
            for line in body.splitlines():
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                expected = 0
                match = EXITS.search(line)
                if match:
                    expected, line = int(match[1]), line[: match.start()]
                res = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True,
                                     text=True, timeout=60, stdin=subprocess.DEVNULL)
                shown = f"{line!r} exited {res.returncode}:\n{res.stdout}\n{res.stderr}"
                assert res.returncode == expected, shown
                outputs[line.strip()] = res
                ran += 1
        else:
            raise AssertionError(f"a ```{kind}{' '.join(attrs)}``` block that the test cannot run")
    assert ran >= 10

    plan = json.loads(outputs["devctl plan --json"].stdout)
    assert plan["config"]["web"] == {"port": 8000}
    [web] = plan["services"]
    assert web["name"] == "web" and web["command"] == ["python3", "-m", "http.server", "8000"]
    assert "http://127.0.0.1:8000/docs/" in outputs["devctl web-url --path /docs/"].stderr
    assert "E_BAD_PATH" in outputs["devctl web-url --path docs"].stderr
    events = [json.loads(line) for line in outputs[
        "devctl stream --plugin web --op web.probe --input '{\"attempts\": 2}' --json"].stdout.splitlines()]
    assert [e["event"] for e in events] == ["probe", "probe", "log", "end"]
    assert "hello from tools" in outputs["devctl tools-hello"].stderr
    assert "web-url" in outputs["devctl plugins list"].stdout
