"""Keep `devctl --help` fast: defer two rich modules that typer imports but help never uses.

typer's help renderer (`typer.rich_utils`) imports `rich.markdown` (which pulls in
markdown-it) and `rich.traceback` (which pulls in pygments) at module level: ~65 ms on a
2-core box, for a markup mode (markdown) and pretty tracebacks that devctl does not use.
For help invocations only, `defer()` puts light stand-ins in `sys.modules`; the first real
use of either module (constructing its class, or any other attribute) swaps in the real one.

This leans on what typer imports inside, so it is pinned: typer's version range in
pyproject.toml, and tests/unit/test_fasthelp.py checks that typer still imports exactly these
names and that help reads the same with and without the deferral. (Listing the commands in
the root help imports no command module at all: see the summaries in `cli/lazy.py`.)
"""

from __future__ import annotations

import importlib
import sys
import types

_DEFERRED = {"rich.markdown": "Markdown", "rich.traceback": "Traceback"}


def defer() -> None:
    import rich

    for name, cls_name in _DEFERRED.items():
        if name in sys.modules:
            continue
        stand_in = _stand_in(name, cls_name)
        sys.modules[name] = stand_in
        setattr(rich, name.rpartition(".")[2], stand_in)


def _real(name: str) -> types.ModuleType:
    if isinstance(sys.modules.get(name), _StandIn):
        del sys.modules[name]
    return importlib.import_module(name)  # also rebinds the attribute on the `rich` package


class _StandIn(types.ModuleType):
    def __getattr__(self, attr: str) -> object:
        if attr.startswith("__"):  # the import system probing (__path__, __spec__...): not a use
            raise AttributeError(attr)
        return getattr(_real(self.__name__), attr)


def _stand_in(name: str, cls_name: str) -> types.ModuleType:
    module = _StandIn(name)

    class Deferred:
        def __new__(cls, *args: object, **kwargs: object) -> object:
            return getattr(_real(name), cls_name)(*args, **kwargs)

    Deferred.__name__ = Deferred.__qualname__ = cls_name
    setattr(module, cls_name, Deferred)
    return module
