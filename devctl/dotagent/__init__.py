"""Host for dotagent verb plugins: one process per `info` / `validate` / `invoke` call.

Modules, one job each:
  discovery  where `dotagent-plugin-<name>` executables are found (the spec's order)
  call       run one verb as one process: stdin payload, bounded stdout/stderr, group kill on timeout
  spec       what the spec says plugins send: `info` documents and replies (parsed and checked),
             kinds, platforms, JSON Schema validation of configs
  events     the dotagent event names (the one list) and the check of an `events` filter
  host       a plugin handle combining the above (info, validate, invoke) with clear errors
  manifest   agent manifest TOML → typed `Manifest`
  runner     one job of an agent: preflights, command, retries, sinks, notifiers
  preflight  `.devctl.yaml` `preflight:` entries for the pipeline's validate phase
  notify     `NotifierBridge`: supervisor events → dotagent notifier invokes, off the critical path
  use_check  check one plugin *use* (plugin + config + kind) before relying on it, as findings
  doctor     findings for every plugin a manifest or `.devctl.yaml` refers to
"""
