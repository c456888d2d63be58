"""The Go devctl's spellings on every built-in command (devctl/cli/go_compat.py)."""

import typer

from devctl.cli.app import app
from devctl.cli.go_compat import DIFFERENT, TRAILING, adapt
from devctl.cli.lazy import BUILTINS, _load_builtin


def _leaves(path, cmd):
    subs = getattr(cmd, "commands", None)
    if isinstance(subs, dict):
        for name, sub in subs.items():
            yield from _leaves(f"{path} {name}", sub)
    else:
        yield path, cmd


def test_every_builtin_takes_the_repository_options_after_its_name_unless_it_has_its_own():
    root = typer.main.get_command(app)
    trailing = [p for p in root.params if p.name in TRAILING]
    assert sorted(p.name for p in trailing) == sorted(TRAILING)  # each one is a real root option
    for name, spec in BUILTINS.items():
        cmd = _load_builtin(name, spec)
        own = {path: {o for p in leaf.params for o in p.opts} for path, leaf in _leaves(name, cmd)}
        adapt(name, cmd, root)
        for path, leaf in _leaves(name, cmd):
            opts = {o for p in leaf.params for o in p.opts}
            for param in trailing:
                mine = set(param.opts)
                assert mine & own[path] or mine <= opts, f"{path} does not take {param.opts}"
            added = [p for p in leaf.params if p.name and p.name.startswith("devctl_root_")]
            assert all(p.hidden and not p.expose_value for p in added)  # --help stays readable


def test_each_option_whose_meaning_differs_is_on_a_real_command():
    paths = {path for name, spec in BUILTINS.items() for path, _ in _leaves(name, _load_builtin(name, spec))}
    for (path, option), message in DIFFERENT.items():
        assert path in paths and option.startswith("--") and "devctl" in message


def test_the_help_says_the_global_options_go_before_the_command():
    """Regression: `devctl plan --help` listed no --strict (the copies are hidden), so nothing said
    that --strict is a global option that belongs before the command."""
    root = typer.main.get_command(app)
    cmd = _load_builtin("plan", BUILTINS["plan"])
    adapt("plan", cmd, root)
    assert "--strict" in cmd.epilog and "`devctl --strict plan`" in cmd.epilog
    assert "options of devctl itself" in cmd.epilog
