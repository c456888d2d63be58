"""`devctl tui`: the live, interactive dashboard (Textual).

The TUI reads only what the CLI reads (the supervisor socket and `.devctl/`) and acts only
through the same client calls as the CLI commands — there is no second path into the
supervisor. Each view is a widget in a module of its own; the app (`devctl.tui.app`) switches
between them and feeds them the supervisor's state and events (`devctl.tui.context`).
"""
