"""The CLI's lazy command table against the core's list of reserved built-in names."""

from devctl.cli.lazy import BUILTINS
from devctl.plugin_commands.names import BUILTIN_NAMES


def test_lazy_table_has_exactly_the_reserved_builtin_names_in_order():
    assert tuple(BUILTINS) == BUILTIN_NAMES


def test_each_summary_is_the_first_paragraph_of_the_commands_own_help():
    import inspect

    from devctl.cli.lazy import _load_builtin

    for name, spec in BUILTINS.items():
        cmd = _load_builtin(name, spec)
        own = inspect.cleandoc(cmd.short_help or cmd.help or "").split("\n\n")[0]
        assert spec.summary == own, f"BUILTINS[{name!r}].summary is out of date"

