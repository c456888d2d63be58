"""How every child starts: its environment and its own session (so its own process group).

One place for the two things every host used to spell out itself:

- the environment: the parent's (or a given base), the caller's overlay on top, then
  `PYTHONUNBUFFERED=1` so a Python child that forgets to flush still answers in time. Any
  non-empty value already means "unbuffered" to Python, so forcing "1" never changes a child
  that had it set. A user's job (`dotagent run`) opts out: it gets exactly its environment.
- the session: `start_new_session=True` makes the child the leader of a new session and
  process group (pgid == pid). Stopping a child means stopping that group
  (`procs.groups`), which also reaches its helpers; and a Ctrl-C on the terminal goes to
  devctl, which then stops its children in order, instead of hitting them all at once.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: plugins are spawned through here, first thing
if TYPE_CHECKING:
    from typing import Any

#: Set for every child that is not a user's own job (see the module docstring).
UNBUFFERED = ("PYTHONUNBUFFERED", "1")


def child_env(overlay: Mapping[str, str] | None = None, *, base: Mapping[str, str] | None = None,
              unbuffered: bool = True) -> dict[str, str]:
    """`base` (default: our environment), then `overlay`, then `PYTHONUNBUFFERED=1` if `unbuffered`."""
    env = dict(os.environ if base is None else base)
    if overlay:
        env.update(overlay)
    if unbuffered:
        env[UNBUFFERED[0]] = UNBUFFERED[1]
    return env


def popen(argv: Sequence[str], **options: Any) -> subprocess.Popen[bytes]:
    """`subprocess.Popen` in a new session. Raises OSError when the program cannot start."""
    return subprocess.Popen(argv, start_new_session=True, **options)


async def open_process(argv: Sequence[str], **options: Any) -> Any:
    """`anyio.open_process` in a new session (an `anyio.abc.Process`). Raises OSError likewise."""
    import anyio

    return await anyio.open_process(argv, start_new_session=True, **options)
