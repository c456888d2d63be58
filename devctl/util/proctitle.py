"""Name this process in `ps` and `top`: what it is, and for which repo.

The supervisor is a fork of `devctl up` (or `python -m devctl.supervisor.daemon` in exec mode),
so `ps` showed it as `…/devctl up`, which reads like a hung `up`. `set_title` gives it a title
such as `devctl supervisor /home/me/src/shop`:

- the command line (`ps aux`, `ps -f`, /proc/<pid>/cmdline) through the setproctitle library,
  which rewrites the argv memory the kernel reports — the only way to change what `ps` shows
  as the command, and fiddly to do by hand (the environment block follows argv);
- the short name (`ps -e`, `top`, /proc/<pid>/comm, at most 15 bytes) through prctl
  PR_SET_NAME, so `pgrep devctl-superv` style tools see it too.

Best effort: a title is for people; when neither works, the process runs as before.
"""

from __future__ import annotations

import contextlib
import sys

#: prctl option that sets the calling thread's name (linux/prctl.h).
_PR_SET_NAME = 15
#: The kernel keeps 15 bytes of a thread name (plus the NUL).
COMM_MAX = 15


def set_title(title: str, comm: str) -> None:
    """Set the command line shown by `ps` to `title` and the short name to `comm`."""
    with contextlib.suppress(Exception):
        import setproctitle

        setproctitle.setproctitle(title)
    set_comm(comm)


def set_comm(name: str) -> None:
    """The short process name (/proc/self/comm), cut to the kernel's 15 bytes. Linux only."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_NAME, ctypes.c_char_p(name.encode()[:COMM_MAX]), 0, 0, 0)
