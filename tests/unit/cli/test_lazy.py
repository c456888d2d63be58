"""The CLI's lazy command table against the core's list of reserved built-in names."""

from devctl.cli.lazy import BUILTINS
from devctl.commands.names import BUILTIN_NAMES


def test_lazy_table_has_exactly_the_reserved_builtin_names_in_order():
    assert tuple(BUILTINS) == BUILTIN_NAMES
