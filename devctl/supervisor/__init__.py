"""The supervisor: one detached process per repo that runs the planned services.

See docs/supervisor.md for the user's view. Modules, one job each:
`states` (pure state machine), `plan` (checks before anything starts), `spawn` (process
groups and log files), `health` (probes), `runtime` (the engine), `handlers` + `control`
(the socket), `daemon` (detach and serve), `state_store` / `events` / `paths` (files under
`.devctl/`), `client` (what the CLI uses), `logs` (tail/follow), `render` (output).
"""
