"""The one reading of the global options from a raw argv (used before typer parses them)."""

from pathlib import Path

import pytest
import typer

from devctl.cli.app import app
from devctl.cli.context import AppContext
from devctl.cli.global_options import FLAGS, VALUED, split_globals, wants_help


def test_reads_options_before_the_command():
    found = split_globals(["-C", "/r", "--config", "c.yaml", "--help"])
    assert (found.repo_root, found.config, found.help, found.rest) == (Path("/r"), Path("c.yaml"), True, [])
    found = split_globals(["--repo-root=/x", "--timeout", "3", "cmd", "-C", "/y"])
    assert (found.repo_root, found.timeout, found.rest) == (Path("/x"), 3.0, ["cmd", "-C", "/y"])
    assert split_globals(["-C/z"]).repo_root == Path("/z")
    found = split_globals(["cmd", "--config", "c"])
    assert (found.given, found.rest, found.complete) == (set(), ["cmd", "--config", "c"], True)


def test_flags_count_and_combine():
    found = split_globals(["-vv", "--verbose", "--strict", "--dry-run", "status"])
    assert (found.verbose, found.strict, found.dry_run, found.rest) == (3, True, True, ["status"])
    assert found.given == {"verbose", "strict", "dry_run"}


@pytest.mark.parametrize("argv", [["--timeout", "abc", "up"], ["-C"], ["--bogus", "up"], ["--strict=1"]])
def test_what_typer_must_report_is_left_to_typer(argv):
    assert not split_globals(argv).complete


def test_app_context_from_args_keeps_the_defaults():
    ctx = AppContext.from_args(split_globals(["-C", "r", "up"]))
    assert (ctx.repo_root_opt, ctx.config_opt, ctx.timeout, ctx.verbose) == (Path("r"), None, 30.0, 0)


def test_help_anywhere_is_a_help_invocation():
    assert wants_help([]) and wants_help(["--help"]) and wants_help(["plan", "-h"])
    assert not wants_help(["plan", "--json"])


def test_table_matches_the_options_the_root_callback_declares():
    """The raw reading and typer's parse must know the same options, each valued or a flag alike."""
    root = typer.main.get_command(app)
    # typer's shell-completion options act at once and end the run: nothing reads them early.
    completion = {"--install-completion", "--show-completion"}
    valued, flags = set(), set()
    for param in root.params:
        opts = set(param.opts) | set(param.secondary_opts)
        (flags if param.is_flag or getattr(param, "count", False) else valued).update(opts - completion)
    flags |= set(root.context_settings["help_option_names"])
    assert valued == set(VALUED)
    assert flags == set(FLAGS)


def test_timeout_is_read_with_the_one_duration_parser():
    assert split_globals(["--timeout", "10s", "plan"]).timeout == 10.0
    assert split_globals(["--timeout=500ms", "plan"]).timeout == 0.5
    assert split_globals(["--timeout", "2.5", "plan"]).timeout == 2.5
    assert not split_globals(["--timeout", "10 s", "plan"]).complete
