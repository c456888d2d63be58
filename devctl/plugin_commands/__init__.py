"""Plugin-defined CLI commands: discovery (`commands.list`), the cache, and running them.

- `names`: pure rules — which names are valid CLI words, who wins a collision.
- `cache`: `.devctl/cache/commands.json`, keyed on the files that can change the answer.
- `discover`: ask each plugin for its commands (3 s each), refresh the cache.
- `run`: `devctl <name> ARGS...` — config.mutate, then `command.run` on the provider.

The CLI side (`devctl.cli.plugin_commands`) only reads the cache, so `devctl --help` and the
built-in commands never start a plugin.
"""
