"""Name this process in `ps` and `top`: what it is, and for which repo.

The supervisor is a fork of `devctl up` (or `python -m devctl.supervisor.daemon` in exec mode),
so `ps` showed it as `…/devctl up`, which reads like a hung `up`. `set_title` gives it a title
such as `devctl supervisor /home/me/src/shop`:

- the command line (`ps aux`, `ps -f`, /proc/<pid>/cmdline) through the setproctitle library,
  which rewrites the argv memory the kernel reports — the only way to change what `ps` shows
  as the command, and fiddly to do by hand (the environment block follows argv). Its C
  extension is loaded on its own, without the package and the `logging` it imports
  (`title_module`);
- the short name (`ps -e`, `top`, /proc/<pid>/comm, at most 15 bytes) through prctl
  PR_SET_NAME, so `pgrep devctl-superv` style tools see it too.

Best effort: a title is for people; when neither works, the process runs as before.
"""

from __future__ import annotations

import contextlib
import sys

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: the supervisor loads this while its services start
if TYPE_CHECKING:
    from typing import Any

#: prctl option that sets the calling thread's name (linux/prctl.h).
_PR_SET_NAME = 15
#: The kernel keeps 15 bytes of a thread name (plus the NUL).
COMM_MAX = 15


def set_title(title: str, comm: str) -> None:
    """Set the command line shown by `ps` to `title` and the short name to `comm`."""
    with contextlib.suppress(Exception):
        module = title_module()
        if module is None:  # laid out differently: the package, with its `logging`
            import setproctitle as module
        module.setproctitle(title)
    set_comm(comm)


def title_module() -> Any:
    """setproctitle's C extension, loaded without its package (None where that is not how it
    is installed). The package's `__init__` imports `logging`, ~8 ms of CPU in the supervisor
    while its services start, only to log that the extension is missing; the extension alone
    loads in ~0.3 ms. Registered under its own name, so an `import setproctitle` later uses it."""
    from importlib.machinery import ExtensionFileLoader, PathFinder

    name = "setproctitle._setproctitle"
    if name in sys.modules:
        return sys.modules[name]
    package = PathFinder.find_spec("setproctitle")
    if package is None or not package.submodule_search_locations:
        return None
    spec = PathFinder.find_spec(name, list(package.submodule_search_locations))
    if spec is None or not isinstance(spec.loader, ExtensionFileLoader):
        return None
    module = spec.loader.create_module(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


def set_comm(name: str) -> None:
    """The short process name (/proc/self/comm), cut to the kernel's 15 bytes. Linux only."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_NAME, ctypes.c_char_p(name.encode()[:COMM_MAX]), 0, 0, 0)
