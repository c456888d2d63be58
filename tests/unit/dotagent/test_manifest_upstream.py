"""Manifests in upstream dotagent's format (written here from its schema) load as they are."""

from pathlib import Path

import pytest

from devctl.dotagent import tomlread
from devctl.dotagent.manifest import load_manifest, parse_manifest
from devctl.dotagent.runner import slug_from_args, tail_lines
from devctl.errors import ConfigError

UPSTREAM = """
[agent]
name = "cleanup"
description = "Prunes old build caches."
monitor = true
version = "0.3.0"
timeout_seconds = 90

[run]
command = "sh"
args = ["./prune.sh"]

[env]
inherit = false

[env.extra]
KEEP_DAYS = "7"

[defaults]
max_retries = 4
retry_backoff_minutes = [1, 2]
stale_after_minutes = 60

[[schedules]]
id = "nightly"
type = "cron"
weekdays = [1, 2, 3, 4, 5]
hours = [2]
minute = 15
args = ["--Mode", "deep clean"]
max_retries = 2

[[schedules]]
id = "hourly"
type = "interval"
interval_minutes = 60

[[preflight]]
plugin = "preflight-cmd"
config = { command = "test", args = ["-d", "/tmp"] }
timeout_seconds = 10

[[on_failure]]
plugin = "sink-file"
config = { path = "failures.log" }

[[notifiers]]
driver = "ntfy"
topic = "builds"
events = ["given_up"]

[[notifiers]]
driver = "plugin"
name = "notify-log"
config = { path = "events.log" }
events = ["attempt_failed", "preflight"]

[security]
allowed_commands = ["sh"]
network = "deny"
"""


def parse(text: str, path: Path = Path("/agents/cleanup/agent.toml")):
    return parse_manifest(tomlread.loads(text), path)


def test_upstream_manifest_loads_with_its_meaning():
    m = parse(UPSTREAM)
    assert (m.name, m.timeout_s, m.command, m.args) == ("cleanup", 90, "sh", ("./prune.sh",))
    assert not m.inherit_env and m.env == {"KEEP_DAYS": "7"}
    nightly = m.pick_schedule("nightly")
    assert nightly.args == ("--Mode", "deep clean")
    # max_retries counts attempts (upstream gives up when attempts reach it); the schedule's wins.
    assert m.attempts_for(nightly) == 2 and m.attempts_for(m.pick_schedule("hourly")) == 4
    assert m.backoff_for(nightly) == (60.0, 120.0)
    assert [u.plugin for u in m.notifiers] == ["notify-log"]
    assert m.notifiers[0].events == ("attempt_failed", "preflight")
    assert m.on_failure[0].events == ("preflight", "attempt_failed", "timed_out", "given_up", "recovered")
    assert m.strict_warnings == ()
    assert len(m.warnings) == 1 and "'ntfy' is built into upstream's daemon" in m.warnings[0]
    ignored = "\n".join(m.ignored)
    for key in ("[agent].monitor", "[defaults].stale_after_minutes", "[[schedules]]", "[security]"):
        assert key in ignored


def test_multi_line_inline_table_is_toml_1_1(tmp_path):
    path = tmp_path / "agent.toml"
    path.write_text('[agent]\nname = "x"\n[run]\ncommand = "true"\n[[preflight]]\nplugin = "preflight-cmd"\n'
                    'config = {\n  command = "gh",\n  args = ["auth", "status"],\n  expect_exit = 0,\n}\n')
    m = load_manifest(path)
    assert m.preflight[0].config == {"command": "gh", "args": ["auth", "status"], "expect_exit": 0}


def test_unknown_keys_warn_naming_the_rule_and_fail_under_strict(tmp_path):
    path = tmp_path / "agent.toml"
    path.write_text('[agent]\nname = "x"\nmonitr = true\n[run]\ncommand = "true"\n[extra]\nx = 1\n')
    m = load_manifest(path)
    assert len(m.strict_warnings) == 2
    assert all("rule unknown-key" in w and str(path) in w for w in m.strict_warnings)
    with pytest.raises(ConfigError) as info:
        load_manifest(path, strict=True)
    full = "\n".join([info.value.message, *info.value.details])
    assert "[agent].monitr: unknown key" in full and "[extra]: unknown key" in full
    assert info.value.exit_code == 2


def test_max_retries_without_backoff_uses_upstreams_pauses():
    m = parse('[agent]\nname = "x"\n[run]\ncommand = "true"\n[defaults]\nmax_retries = 3\n')
    assert m.backoff_for(m.pick_schedule(None)) == (300.0, 900.0, 1800.0)


def test_schedule_choice():
    two = UPSTREAM
    m = parse(two)
    with pytest.raises(ConfigError, match="pick one with --schedule ID"):
        m.pick_schedule(None)
    with pytest.raises(ConfigError, match="no \\[\\[schedules\\]\\] entry with id 'weekly'"):
        m.pick_schedule("weekly")
    bare = parse('[agent]\nname = "x"\nschedule = "nightly"\n[run]\ncommand = "true"\n')
    assert bare.pick_schedule(None).id == "nightly" and bare.pick_schedule("adhoc").id == "adhoc"


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ('[[notifiers]]\ndriver = "fax"\n', "[[notifiers]] #1.driver: unknown driver 'fax'"),
        ('[[notifiers]]\ndriver = "plugin"\n', "[[notifiers]] #1.name: is required"),
        ('[[schedules]]\nid = "a"\ntype = "weekly"\n', "[[schedules]] #1.type: must be one of"),
        ('[[schedules]]\nid = "a"\ntype = "interval"\n', "[[schedules]] #1.interval_minutes: is required"),
        ('[[schedules]]\nid = "a"\ntype = "expression"\nexpression = "x"\n'
         '[[schedules]]\nid = "a"\ntype = "expression"\nexpression = "y"\n', "duplicate schedule id 'a'"),
        ('[defaults]\nretry_backoff_minutes = [1]\nretry_backoff_seconds = 2\n', "use either"),
        ('[defaults]\nretry_backoff_minutes = 5\n', "[defaults].retry_backoff_minutes: must be an array"),
        ('[env]\ninherit = "yes"\n', "[env].inherit: must be true or false"),
        ('[agent.x]\n', ""),
    ],
)
def test_upstream_shape_errors(extra, needle):
    text = '[agent]\nname = "x"\n[run]\ncommand = "true"\n' + extra
    if not needle:  # [agent.x] makes [agent] a table with a table in it: an unknown key, not an error
        assert parse(text).strict_warnings
        return
    with pytest.raises(ConfigError) as info:
        parse(text)
    assert needle in "\n".join([info.value.message, *info.value.details])


@pytest.mark.parametrize(
    ("args", "slug"),
    [([], "default"), (["--period", "yesterday"], "period_yesterday"), (["--mode", "unsubscribe"],
     "mode_unsubscribe"), (["foo bar"], "foo_bar"), (["--"], "default"), (["A/B", "--x-y"], "a_b_x-y"),
     (["été"], "t")],
)
def test_slug_is_upstreams(args, slug):
    assert slug_from_args(args) == slug


def test_tail_lines_like_upstream():
    assert tail_lines("a\nb\n") == "a\nb"
    assert tail_lines("a\r\nb") == "a\nb"
    assert tail_lines("") == ""
    assert tail_lines("\n\n") == "\n"
    text = "".join(f"{i}\n" for i in range(600))
    got = tail_lines(text)
    assert got.split("\n")[0] == "100" and got.endswith("599") and len(got.split("\n")) == 500


def test_problems_name_the_line(tmp_path):
    path = tmp_path / "agent.toml"
    path.write_text('[agent]\nname = "x"\ntimeout_seconds = 0\nmonitr = 1\n[run]\ncommand = "true"\n'
                    '[[notifiers]]\nplugin = "a"\n[[notifiers]]\nplugin = "b"\nevents = ["sucess"]\n')
    with pytest.raises(ConfigError) as info:
        load_manifest(path)
    assert info.value.message.startswith(f"{path}:3: [agent].timeout_seconds: must be > 0")
    assert info.value.details == [f"{path}:11: [[notifiers]] #2.events: unknown event(s) ['sucess']; "
                                  "allowed: ['attempt_failed', 'timed_out', 'given_up', 'recovered', "
                                  "'success', 'preflight']"]
    path.write_text('[agent]\nname = "x"\nmonitr = 1\n[run]\ncommand = "true"\n')
    assert load_manifest(path).strict_warnings[0].startswith(f"{path}:3: [agent].monitr: unknown key")
