"""Run a child as another user (a service's `user:`): who that is, and how the child becomes it.

devctl running as root starts `user: postgres` directly as postgres: `subprocess` switches the
child's supplementary groups, gid and uid between fork and exec, so the supervised pid is the
service's own (no `runuser`/`su` wrapper whose exit or signals would stand between). The child
inherits fds already open (its log files, owned by root), so it can write its logs without
being able to open anything else of devctl's.

devctl not running as root cannot switch users: a service asking for another user is a
plan-time error (`check`), not a spawn-time `PermissionError` after its dependencies started.
"""

from __future__ import annotations

import errno
import os
import pwd
from collections import namedtuple

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: imported while `up` plans (docs/performance.md, "T2")
if TYPE_CHECKING:
    from typing import Any, NamedTuple

    class _IdentityFields(NamedTuple):
        name: str
        uid: int
        gid: int
        groups: tuple[int, ...]  # supplementary groups (from the group database), primary included
        home: str
else:  # the same fields without `typing` (tests/unit/test_runtime_shapes.py keeps them equal)
    _IdentityFields = namedtuple("Identity", "name uid gid groups home")


class Identity(_IdentityFields):
    """A user as the child should be: ids, groups, and the variables a login would set.

    A named tuple, not a frozen dataclass: the pipeline imports this module for every plan
    (`user:` is checked there), and the dataclass cost `up` ~4 ms of import (`exec` of the
    generated methods) besides `dataclasses` itself."""

    __slots__ = ()

    def env(self) -> dict[str, str]:
        """HOME, USER and LOGNAME of this user (a plan's own `env` is laid over these)."""
        return {"HOME": self.home, "USER": self.name, "LOGNAME": self.name}

    def popen_options(self) -> dict[str, Any]:
        """`subprocess.Popen` keywords that make the child this user (before exec)."""
        return {"user": self.uid, "group": self.gid, "extra_groups": list(self.groups)}


def lookup(user: str) -> Identity:
    """The user named `user` (a login name, or a numeric uid). Raises LookupError when unknown."""
    try:
        entry = pwd.getpwuid(int(user)) if user.isdigit() else pwd.getpwnam(user)
    except (KeyError, OverflowError):
        raise LookupError(f"no such user {user!r} on this machine") from None
    groups = tuple(os.getgrouplist(entry.pw_name, entry.pw_gid))
    return Identity(entry.pw_name, entry.pw_uid, entry.pw_gid, groups, entry.pw_dir)


def check(user: str) -> str | None:
    """Why devctl cannot run a child as `user` here, or None when it can.

    As root any existing user works. Otherwise only the current user does (naming yourself
    is harmless, so a plan written for root-run CI also plans on a laptop of that user)."""
    try:
        identity = lookup(user)
    except LookupError as exc:
        return str(exc)
    euid = os.geteuid()
    if euid == 0 or identity.uid == euid:
        return None
    try:
        me = pwd.getpwuid(euid).pw_name
    except KeyError:
        me = str(euid)
    return (f"running as {user!r} needs devctl to run as root (it runs as {me!r}); "
            f"remove `user:` or start devctl as root")


def for_child(user: str | None) -> Identity | None:
    """The identity to switch to at spawn, or None to stay as we are (no `user`, or it is us).

    An OSError when the user has gone since the plan was checked: that is how a spawn fails."""
    if not user:
        return None
    try:
        identity = lookup(user)
    except LookupError as exc:
        raise OSError(errno.EINVAL, str(exc)) from None
    return None if identity.uid == os.geteuid() else identity
