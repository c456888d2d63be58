"""The names of devctl's files in a repo (`.devctl.yaml`, `.devctl/`, the supervisor's socket and
lock), and how a repo root is found from them.

Nothing but `os` on purpose: `devctl down` finds its repo and the supervisor's socket with these
before anything else is loaded, `pathlib` and `re` included (cli/down_early.py), and the modules
that own the files (`devctl.config`, `devctl.statedir`, `devctl.supervisor.paths`) take the same
names and the same search from here, so each is written once.
"""

import os

#: The file that marks a repo root, as `.git` does for git (`devctl.config.find_repo_root`).
CONFIG_NAME = ".devctl.yaml"
#: Everything devctl writes in a repo lives under this directory (`devctl.statedir`).
STATE_DIR_NAME = ".devctl"
#: The supervisor's control socket and its liveness lock, in the state directory
#: (`devctl.supervisor.paths.Paths`).
SOCK_NAME = "supervisor.sock"
LOCK_NAME = "supervisor.lock"


def find_root(start: str) -> str | None:
    """The nearest directory at or above `start` (resolved) that holds `.devctl.yaml` as a file,
    or None: how a repo root is found (`devctl.config.find_repo_root` is this, with paths).
    A directory that cannot be looked into (ENAMETOOLONG near PATH_MAX, no permission) holds none."""
    directory = os.path.realpath(start)
    while True:
        if os.path.isfile(os.path.join(directory, CONFIG_NAME)):  # any OSError: not there
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent
