"""PyYAML imported with lazily compiled patterns (devctl/config/pyyaml.py) reads YAML exactly
as a plain `import yaml` does, and leaves `re.compile` as it was.

Each check runs in a fresh interpreter: this one has imported PyYAML already."""

from __future__ import annotations

import json
import subprocess
import sys

#: One of each kind of scalar PyYAML's implicit resolvers tell apart (bool, int in every base,
#: float, null, timestamp, merge key, plain strings that look almost like them), in block and
#: flow style, plus what the pure-Python reader rejects (a non-printable character).
DOCUMENT = """\
base: &base {x: 1}
merged: {<<: *base, y: 2}
bools: [yes, No, TRUE, off, y, n]
ints: [0, -12, 0x1f, 0o17, 0b101, 1_000, "7", 190:20:30]
floats: [1.5, -.5, 1.5e+3, 1.5e3, .inf, -.Inf, .nan, 6.8523015e+5]
nulls: [~, null, Null, ""]
dates: [2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10]
strings: [plan.json, "devctl:python", -x, 1.2.3, "="]
"""

SCRIPT = """
import json, re, sys
if sys.argv[1] == "lazy":
    from devctl.config.pyyaml import yaml
else:
    import yaml
doc = sys.stdin.read()
out = {"re.compile": re.compile.__module__ + "." + re.compile.__qualname__}
for name in ("SafeLoader", "CSafeLoader"):
    if hasattr(yaml, name):
        out[name] = repr(yaml.load(doc, Loader=getattr(yaml, name)))
try:
    yaml.load("a: \\x07", Loader=yaml.SafeLoader)
except yaml.YAMLError as exc:
    out["bad"] = str(exc).splitlines()[0]
out["reader_pattern"] = type(yaml.reader.Reader.NON_PRINTABLE).__name__
print(json.dumps(out))
"""


def _read(mode: str) -> dict[str, str]:
    res = subprocess.run([sys.executable, "-c", SCRIPT, mode], input=DOCUMENT, capture_output=True,
                         text=True, timeout=60, check=True)
    return json.loads(res.stdout)


def test_lazy_patterns_read_every_kind_of_scalar_as_a_plain_import_does() -> None:
    eager, lazy = _read("eager"), _read("lazy")
    assert lazy.pop("reader_pattern") == "LazyPattern"  # the stand-in really was in place
    assert eager.pop("reader_pattern") == "Pattern"
    assert lazy == eager
    assert "special characters are not allowed" in lazy["bad"]  # the reader's pattern, used
    assert lazy["re.compile"] == "re.compile"  # put back


def test_with_another_thread_running_pyyaml_is_imported_as_usual() -> None:
    script = (
        "import threading, re\n"
        "stop = threading.Event(); t = threading.Thread(target=stop.wait); t.start()\n"
        "from devctl.config.pyyaml import yaml\n"
        "stop.set(); t.join()\n"
        "print(isinstance(yaml.reader.Reader.NON_PRINTABLE, re.Pattern))\n"
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                         check=True)
    assert res.stdout.strip() == "True"


def test_a_stand_in_keeps_what_it_looked_up() -> None:
    from devctl.config.pyyaml import LazyPattern

    calls: list[str] = []

    def compile(pattern: str, flags: int) -> object:
        import re

        calls.append(pattern)
        return re.compile(pattern, flags)

    stand_in = LazyPattern(compile, "^a+$", 0)
    assert calls == []
    assert stand_in.match("aaa") and not stand_in.match("ab")
    assert calls == ["^a+$"]  # compiled once; `match` is now the pattern's own
