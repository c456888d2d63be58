"""The child-process layer under every host: one module per job, no host-specific rules.

The three protocol hosts (plugins, Dofek, dotagent) and the supervisor differ in what they
say to their children; how they start, read, bound and stop them is the same, and lives here:

- `start`     — a child's environment and its own session (process group).
- `lines`     — the NDJSON read loop on a pipe or socket (1 MiB cap, the unterminated tail).
- `tails`     — stderr: drained, split, cut when too long, last lines kept.
- `exits`     — how a child ended, in words.
- `bounded`   — a one-shot run within a deadline and output caps, nothing left behind.
- `groups`    — stopping: process group (and escaped pids) SIGTERM → grace → SIGKILL → empty.
- `pids`      — single processes: liveness with create time, descendants, inherited marks.
- `procstat`  — parsing `/proc/<pid>/stat` (state, group, CPU, memory) for cheap scans.
- `sockets`   — the TCP ports processes listen on (`/proc/net/tcp*` and their descriptors).
- `which`     — what program a command runs (`argv[0]` → an executable path).

Import from the module that owns the name (`from devctl.procs.groups import stop_group`):
this package's `__init__` imports nothing, so a light module (the supervisor's control
client) can use a stdlib-only part without loading psutil.
"""
