"""Plugin command names: validity, parsing commands.list, collisions, the cache's freshness rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devctl.cli.plugin_commands import _escape
from devctl.errors import OperationFailed
from devctl.plugin_commands import cache
from devctl.plugin_commands.names import BUILTIN, Listing, name_problem, parse_listing, resolve


@pytest.mark.parametrize("name", ["db-reset", "db:reset", "seed_data", "a", "X9", "9lives", "ns:cmd-2"])
def test_valid_names(name):
    assert name_problem(name) is None


@pytest.mark.parametrize("name, why", [
    ("", "empty"), ("-x", "starts with '-'"), ("--force", "starts with '-'"), ("two words", "may only"),
    ("a/b", "may only"), ("a.b", "may only"), ("ümlaut", "may only"), ("x" * 65, "longer"),
    (42, "must be a string"), (None, "must be a string"),
])
def test_invalid_names(name, why):
    problem = name_problem(name)
    assert problem is not None and why in problem


def test_parse_listing_keeps_good_entries_and_reports_the_rest():
    listing = parse_listing("p", 5, {"commands": [
        {"name": "ok", "help": " Does things \n"}, {"name": "-bad"}, "just a string",
        {"name": "ok", "help": "dup"}, {"name": "nohelp"}, {"name": "badhelp", "help": 3},
    ]})
    assert listing.commands == [{"name": "ok", "help": "Does things"}, {"name": "nohelp", "help": ""}]
    assert len(listing.skipped) == 4
    assert any("commands[1]" in s and "-bad" in s for s in listing.skipped)
    assert any("listed twice" in s for s in listing.skipped)
    assert listing.error is None


@pytest.mark.parametrize("output", [{}, {"commands": "x"}, None, []])
def test_parse_listing_without_a_commands_list_is_an_error(output):
    listing = parse_listing("p", 0, output)
    assert listing.error and "plugin 'p'" in listing.error and listing.commands == []


def L(plugin, priority, *names, error=None):  # noqa: N802
    return Listing(plugin, priority, [{"name": n, "help": f"{n} by {plugin}"} for n in names], error=error)


def test_builtin_wins_over_any_plugin():
    res = resolve([L("a", 0, "status", "mine")], ["status", "up"])
    assert list(res.commands) == ["mine"]
    [c] = res.collisions
    assert (c.name, c.winner, c.loser) == ("status", BUILTIN, "a")
    assert "built-in wins" in c.message()


def test_first_in_priority_then_id_wins():
    res = resolve([L("zeta", 1, "deploy"), L("beta", 5, "deploy"), L("alpha", 5, "deploy")], [])
    assert res.commands["deploy"].plugin == "zeta"
    assert [(c.winner, c.loser) for c in res.collisions] == [("zeta", "alpha"), ("zeta", "beta")]
    res = resolve([L("beta", 5, "deploy"), L("alpha", 5, "deploy")], [])
    assert res.commands["deploy"].plugin == "alpha" and "'alpha' wins" in res.warnings()[0]


def test_strict_mode_turns_collisions_into_one_error_naming_everyone():
    res = resolve([L("a", 0, "deploy", "status"), L("b", 0, "deploy")], ["status"])
    with pytest.raises(OperationFailed) as info:
        res.check_strict()
    details = "\n".join(info.value.details)
    assert "'a' and 'b' both declare command 'deploy'" in details and "'status'" in details
    resolve([L("a", 0, "x"), L("b", 0, "y")], []).check_strict()  # no collision: fine


def test_failed_plugins_are_reported_and_others_kept():
    res = resolve([L("slow", 0, error="plugin 'slow' [E_TIMEOUT]: too slow"), L("ok", 1, "go")], [])
    assert list(res.commands) == ["go"]
    assert res.problems == [
        "plugin 'slow' [E_TIMEOUT]: too slow (its commands are skipped; `devctl plugins list` shows why)"
    ]


def test_listing_round_trips_through_json():
    item = Listing("p", 3, [{"name": "a", "help": "h"}], error=None, skipped=["x"])
    assert Listing.from_json(item.to_json()) == item


def test_cache_is_fresh_until_a_watched_file_changes(tmp_path: Path):
    config = tmp_path / ".devctl.yaml"
    config.write_text("plugins: []\n")
    plugin = tmp_path / "p.py"
    plugin.write_text("x = 1\n")
    data = cache.CommandCache(config=str(config), strictness="warn",
                              files=[cache.stat_entry(config), cache.stat_entry(plugin),
                                     cache.stat_entry(tmp_path / "plugins")],
                              listings=[L("p", 0, "go")])
    cache.write(tmp_path, data)
    loaded = cache.read(tmp_path)
    assert loaded is not None and loaded.listings == data.listings
    assert cache.is_fresh(loaded, config)
    assert not cache.is_fresh(loaded, tmp_path / "other.yaml")  # another config file
    st = plugin.stat()
    os.utime(plugin, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert not cache.is_fresh(loaded, config)  # same size, new mtime
    os.utime(plugin, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert cache.is_fresh(loaded, config)
    (tmp_path / "plugins").mkdir()  # a discovery dir appearing counts too
    assert not cache.is_fresh(loaded, config)


def test_unreadable_or_old_cache_is_treated_as_missing(tmp_path: Path):
    assert cache.read(tmp_path) is None
    path = cache.cache_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert cache.read(tmp_path) is None
    path.write_text('{"version": 0, "files": [], "listings": []}')
    assert cache.read(tmp_path) is None


def test_expected_config_mirrors_the_loader(tmp_path: Path):
    assert cache.expected_config(tmp_path, None) is None
    (tmp_path / ".devctl.yaml").write_text("")
    assert cache.expected_config(tmp_path, None) == (tmp_path / ".devctl.yaml").resolve()
    assert cache.expected_config(tmp_path, Path("alt.yaml")) == (tmp_path / "alt.yaml").resolve()


def test_help_text_is_escaped_for_rich_markup():
    assert _escape("Reset [dangerous] DB") == "Reset \\[dangerous] DB"


def test_handshake_commands_take_help_from_the_object_form():
    from devctl.plugin_commands.names import handshake_commands

    sent = {"capabilities": {"commands": ["a", {"name": "b", "help": " Reset local DB "}, {"name": "c"}]}}
    assert handshake_commands(["a", "b", "c"], sent) == [
        {"name": "a", "help": ""}, {"name": "b", "help": "Reset local DB"}, {"name": "c", "help": ""}]
    assert handshake_commands(["a"], {"capabilities": "junk"}) == [{"name": "a", "help": ""}]


def test_declared_commands_join_the_listed_ones_and_bad_names_are_skipped():
    from devctl.plugin_commands.names import add_declared

    listing = Listing("p", 0, [{"name": "a", "help": "from commands.list"}])
    add_declared(listing, [{"name": "a", "help": "from the handshake"}, {"name": "b", "help": ""},
                           {"name": "-x", "help": ""}])
    assert listing.commands == [{"name": "a", "help": "from commands.list"}, {"name": "b", "help": ""}]
    assert listing.skipped == ["handshake capabilities.commands[2]: name '-x' starts with '-' (it would be "
                               "read as an option)"]
    res = resolve([listing], ())
    assert list(res.commands) == ["a", "b"]
    assert res.problems == [f"plugin 'p': {listing.skipped[0]}; skipped"]


def test_a_failed_commands_list_keeps_the_handshake_commands():
    listing = Listing("p", 0, [{"name": "b", "help": ""}], error="plugin 'p' [E_TIMEOUT]: too slow")
    res = resolve([listing], ())
    assert list(res.commands) == ["b"]
    assert "only the commands its handshake declares are used" in res.problems[0]
