"""devctl/plugins/hints.py: a plugin that cannot import devctl.sdk hears which interpreter, and the fix."""

import sys

from devctl.plugins.hints import interpreter_of, missing_sdk_hint

TAIL = ["Traceback (most recent call last):", "  File \"plugins/demo.py\", line 8, in <module>",
        "    from devctl.sdk import Plugin", "ModuleNotFoundError: No module named 'devctl'"]


def test_names_the_interpreter_and_both_fixes():
    lines = missing_sdk_hint(["/usr/bin/python3", "plugins/demo.py"], TAIL)
    text = "\n".join(lines)
    assert "the interpreter /usr/bin/python3 cannot import devctl.sdk" in text
    assert "path: devctl:python" in text and sys.executable in text and "install devctl for" in text


def test_other_failures_get_no_hint():
    assert missing_sdk_hint(["python3", "x.py"], ["ModuleNotFoundError: No module named 'requests'"]) == []


def test_the_interpreter_of_a_script_is_its_shebang(tmp_path):
    script = tmp_path / "plug"
    script.write_text("#!/usr/bin/env python3\nprint()\n")
    assert interpreter_of([str(script)]) == "python3"
    script.write_text("#!/opt/py/bin/python3.12 -u\n")
    assert interpreter_of([str(script)]) == "/opt/py/bin/python3.12"
    assert interpreter_of(["python3.11", "x.py"]) == "python3.11"
