"""Dofek: host-timed polling plugins feeding a live dashboard.

The host owns the clock: every refresh it writes one `poll` line to each plugin and reads at
most one `poll_response` back within the plugin's timeout. Unlike the upstream host, the
timeout is enforced, so a hung or crashing plugin never delays the others.

Modules, one job each:
  config      dofek.toml lookup and checking
  frames      pure poll_response validation
  lifecycle   pure plugin health state machine and restart backoff
  scan        the process list sent with each poll (plus CPU/RSS for the watchlist)
  runner      one plugin process: spawn, write polls, match replies, drain stderr, shut down
  host        the tick loop across all plugins, and the snapshot it produces
  devctl_services   the services of a running devctl supervisor, as watchlist rows
  render      snapshot in, rich renderable / text out
  conformance `devctl dofek check`: run one plugin and turn what it did outside the protocol into findings
  scaffold    `devctl dofek new`: starter plugins
"""
