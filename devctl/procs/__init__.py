"""The child-process layer under every host: one module per job, no host-specific rules.

The three protocol hosts (plugins, Dofek, dotagent) and the supervisor differ in what they
say to their children; how they start, read, bound and stop them is the same, and lives here:

- `procstat`  — parsing `/proc/<pid>/stat` (state, group, CPU, memory) for cheap scans.
- `pids`      — single processes: liveness with create time, descendants, inherited marks.
- `groups`    — stopping: process group (and escaped pids) SIGTERM → grace → SIGKILL → empty.

Import from the module that owns the name (`from devctl.procs.groups import stop_group`):
this package's `__init__` imports nothing, so a light module (the supervisor's control
client) can use a stdlib-only part without loading psutil.
"""
