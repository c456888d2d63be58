"""The environment variables every service process inherits, by which devctl finds its own.

Plain constants in a module with no imports: `down` looks for processes by these names and
should not import `supervisor.spawn` (subprocess and the pipeline's service modules, ~15-25 ms)
for three strings. `spawn.child_env` sets them (and re-exports the names).
"""

#: Env var naming the supervisor run a process belongs to (see `spawn.child_env`).
RUN_ENV = "DEVCTL_RUN"
#: Env var naming the service a process belongs to (see `spawn.child_env`).
SERVICE_ENV = "DEVCTL_SERVICE"
#: Env var naming the repo root a process was started for: found by it after `rm -rf .devctl`.
REPO_ENV = "DEVCTL_REPO"
