"""PyYAML, imported with its regular expressions compiled when they are first used.

`import yaml` compiles a dozen regular expressions while its modules load: close to half of its
import time (14 of 31 ms on the 2-core box; docs/performance.md, "R3"). A parse of
`.devctl.yaml` (the first `up` or `plan` in a repo, and the first after each edit: see
`config/cache.py`) pays that import before the plugins can start. Most of those patterns are
never used by devctl: it parses with libyaml's C loader, which never touches the largest of
them (the pure-Python reader's check for non-printable characters, a class spanning all of
Unicode), and a config without dates never needs the timestamp ones.

So while PyYAML loads — and only then — `re.compile` returns a stand-in that compiles its
pattern the first time one of its attributes is used. PyYAML only ever calls methods on its
patterns (`match`, `search`), which the stand-in forwards. Nothing else is affected: the
modules PyYAML imports for the first time in that window (datetime, base64, struct) compile
no pattern at import; `re.match(...)` and friends do not go through `re.compile`; and when
another thread runs (it could call `re.compile` meanwhile) PyYAML is imported as usual.
"""

from __future__ import annotations

import re
import sys

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: this runs before the plugins start
if TYPE_CHECKING:
    from typing import Any

    import yaml as yaml


class LazyPattern:
    """`re.compile(pattern, flags)`, done on first use. Each attribute looked up is then kept on
    the instance, so later uses of `match` cost what the compiled pattern's own would."""

    def __init__(self, compile: Any, pattern: Any, flags: int):
        self._compile = compile
        self._args = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy/pickle probing: not a pattern attribute
            raise AttributeError(name)
        value = getattr(self._compile(*self._args), name)
        setattr(self, name, value)
        return value


def _import_yaml() -> Any:
    loaded = sys.modules.get("yaml")
    if loaded is not None:
        return loaded
    threading = sys.modules.get("threading")
    if threading is not None and threading.active_count() > 1:
        import yaml as eager

        return eager
    real = re.compile
    re.compile = lambda pattern, flags=0: LazyPattern(real, pattern, flags)  # type: ignore[assignment]
    try:
        import yaml as lazy
    finally:
        re.compile = real
    return lazy


if not TYPE_CHECKING:
    yaml = _import_yaml()
