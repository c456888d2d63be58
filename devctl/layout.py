"""The names of devctl's files in a repo: `.devctl.yaml`, `.devctl/`, the supervisor's socket and lock.

Import-free on purpose: `devctl down` finds its repo and the supervisor's socket with these before
anything else is loaded, `pathlib` and `re` included (cli/down_early.py), and the modules that own
the files (`devctl.config`, `devctl.statedir`, `devctl.supervisor.paths`) take the same names from
here, so each name is written once.
"""

#: The file that marks a repo root, as `.git` does for git (`devctl.config.find_repo_root`).
CONFIG_NAME = ".devctl.yaml"
#: Everything devctl writes in a repo lives under this directory (`devctl.statedir`).
STATE_DIR_NAME = ".devctl"
#: The supervisor's control socket and its liveness lock, in the state directory
#: (`devctl.supervisor.paths.Paths`).
SOCK_NAME = "supervisor.sock"
LOCK_NAME = "supervisor.lock"
