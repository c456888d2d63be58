"""Agent manifest parsing: defaults, path resolution, and errors that name file, table and key."""

from pathlib import Path

import pytest

from devctl.dotagent import tomlread
from devctl.dotagent.manifest import load_manifest, parse_manifest
from devctl.errors import ConfigError

FULL = """
[agent]
name = "nightly"
timeout_seconds = 60
schedule = "nightly"

[run]
command = "python3"
args = ["job.py", "--fast"]
working_dir = "work"

[env]
LEVEL = "full"
COUNT = 3

[defaults]
max_retries = 2
retry_backoff_seconds = 0.5

[[preflight]]
plugin = "preflight-cmd"
config = { command = ["true"] }

[[on_success]]
plugin = "sink-file"
config = { path = "out.txt" }

[[on_failure]]
plugin = "sink-file"
config = { path = "fail.txt" }
events = ["given_up", "timed_out"]

[[notifiers]]
plugin = "notify-log"
config = { path = "events.log" }
events = ["attempt_failed", "recovered"]
timeout_seconds = 3

[schedule]
cron = "0 3 * * *"
"""


def parse(text: str, path: Path = Path("/repo/agents/a.toml")):
    return parse_manifest(tomlread.loads(text), path)


def test_full_manifest():
    m = parse(FULL)
    assert (m.name, m.timeout_s, m.schedule) == ("nightly", 60, "nightly")
    assert m.command == "python3" and m.args == ("job.py", "--fast")
    assert m.working_dir == Path("/repo/agents/work")
    assert m.env == {"LEVEL": "full", "COUNT": "3"}
    sched = m.pick_schedule(None)
    assert (m.attempts_for(sched), m.backoff_for(sched)) == (2, (0.5,))
    assert [u.kind for u in m.uses()] == ["preflight", "sink", "sink", "notify"]
    assert m.on_failure[0].kinds == ("sink", "notify")
    assert m.on_success[0].events == ("success",)
    assert m.on_failure[0].events == ("given_up", "timed_out")
    assert m.notifiers[0].events == ("attempt_failed", "recovered") and m.notifiers[0].timeout_s == 3
    assert any("[schedule]: unknown key" in w and "rule unknown-key" in w for w in m.strict_warnings)


def test_defaults_are_upstreams():
    m = parse('[agent]\nname = "x"\n[run]\ncommand = "true"\n')
    sched = m.pick_schedule(None)
    assert m.timeout_s == 1800 and m.attempts_for(sched) == 1 and m.backoff_for(sched) == ()
    assert sched.id == "manual" and sched.args == () and m.working_dir == Path("/repo/agents")
    assert m.inherit_env and m.notifiers == () and m.warnings == () and m.strict_warnings == ()
    # Absent events: everything the table can receive, as upstream's empty filter.
    m = parse('[agent]\nname = "x"\n[run]\ncommand = "true"\n[[on_failure]]\nplugin = "s"\n'
              '[[notifiers]]\nplugin = "n"\nevents = []\n')
    assert m.on_failure[0].events == ("preflight", "attempt_failed", "timed_out", "given_up", "recovered")
    assert m.notifiers[0].events == ("attempt_failed", "timed_out", "given_up", "recovered", "success",
                                     "preflight")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('[run]\ncommand = "x"\n', "[agent].name: is required"),
        ('[agent]\nname = "x"\n', "[run].command: is required"),
        (
            '[agent]\nname = "x"\ntimeout_seconds = 0\n[run]\ncommand = "x"\n',
            "[agent].timeout_seconds: must be > 0",
        ),
        (
            '[agent]\nname = "x"\n[run]\ncommand = "x"\nargs = "a b"\n',
            "[run].args: must be an array of strings",
        ),
        (
            '[agent]\nname = "x"\n[run]\ncommand = "x"\n[defaults]\nmax_retries = 1.5\n',
            "[defaults].max_retries: must be an integer",
        ),
        (
            '[agent]\nname = "x"\n[run]\ncommand = "x"\n[[notifiers]]\nconfig = {}\n',
            "[[notifiers]] #1.plugin: is required",
        ),
        (
            '[agent]\nname = "x"\n[run]\ncommand = "x"\n[[notifiers]]\nplugin = "n"\nevents = ["sucess"]\n',
            "[[notifiers]] #1.events: unknown event(s) ['sucess']",
        ),
        (
            '[agent]\nname = "x"\n[run]\ncommand = "x"\n[[on_success]]\nplugin = "n"\nconfig = "p"\n',
            "[[on_success]] #1.config: must be a table",
        ),
        (
            '[agent]\nname = "x"\n[run]\ncommand = "x"\n[notifiers]\nplugin = "n"\n',
            "[notifiers]: must be an array of tables",
        ),
        ('[agent]\nname = "x"\n[run]\ncommand = "x"\n[env]\nFLAG = true\n', "[env].FLAG: must be a string"),
    ],
)
def test_errors_name_file_table_and_key(text, needle):
    with pytest.raises(ConfigError) as info:
        parse(text)
    full = "\n".join([info.value.message, *info.value.details])
    assert "/repo/agents/a.toml" in info.value.message
    assert needle in full


def test_all_problems_reported_at_once():
    with pytest.raises(ConfigError) as info:
        parse("[agent]\n[run]\nargs = 3\n")
    assert len(info.value.details) == 2  # name, command, args: one message + two details


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[agent]\nname = "x"\n[run\n')
    with pytest.raises(ConfigError) as info:
        load_manifest(path)
    assert str(path) in info.value.message and "line 3" in info.value.message
    assert info.value.exit_code == 2


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read agent manifest"):
        load_manifest(tmp_path / "nope.toml")
