"""`env_file` and `user` in any plan (a plugin's or `.devctl.yaml`'s), checked at plan time."""

import os
import pwd
from pathlib import Path

import pytest

from devctl.errors import ConfigError
from devctl.pipeline.services import normalize_service


def norm(raw: dict, root: Path) -> dict:
    return dict(normalize_service({"name": "web", "command": ["x"], **raw}, "plug", root))


def test_env_files_are_read_relative_to_the_repo_root_and_env_wins(tmp_path: Path):
    (tmp_path / "conf").mkdir()
    (tmp_path / ".env").write_text("A=file\nB=file\nC=file\n")
    (tmp_path / "conf" / "local.env").write_text("B=local\n")
    spec = norm({"env_file": [".env", "conf/local.env"], "env": {"C": "plan"}, "cwd": "conf"}, tmp_path)
    assert spec["env"] == {"A": "file", "B": "local", "C": "plan"}
    assert "env_file" not in spec  # read into env: the spec is what runs
    assert norm({"env_file": ".env"}, tmp_path)["env"] == {"A": "file", "B": "file", "C": "file"}


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("nope.env", "env_file 'nope.env' does not exist"),
        ("conf", "env_file 'conf' is not a file"),
        ([], "'env_file' must be a path or a list of paths"),
        (3, "'env_file' must be a path or a list of paths"),
        ("bad.env", ":2: expected '=' after 'oops'"),
    ],
)
def test_env_file_problems_name_the_plugin_service_and_file(tmp_path: Path, value: object, fragment: str):
    (tmp_path / "conf").mkdir()
    (tmp_path / "bad.env").write_text("A=1\noops\n")
    with pytest.raises(ConfigError) as info:
        norm({"env_file": value}, tmp_path)
    assert info.value.message.startswith("plugin 'plug': service 'web': ")
    assert fragment in info.value.message


def test_user_is_checked_at_plan_time(tmp_path: Path):
    me = pwd.getpwuid(os.geteuid()).pw_name
    assert norm({}, tmp_path)["user"] is None
    assert norm({"user": me}, tmp_path)["user"] == me  # naming yourself is always fine
    assert norm({"user": os.geteuid()}, tmp_path)["user"] == str(os.geteuid())
    with pytest.raises(ConfigError, match="'user': no such user 'no-such-user-here'"):
        norm({"user": "no-such-user-here"}, tmp_path)
    with pytest.raises(ConfigError, match="'user' must be a user name"):
        norm({"user": ["root"]}, tmp_path)


def test_another_user_without_root_is_a_plan_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    other = next((p for p in pwd.getpwall() if p.pw_uid not in (0, 4242)), None)
    if other is None:
        pytest.skip("no second user in the password database")
    monkeypatch.setattr(os, "geteuid", lambda: 4242)  # as an unprivileged user would be
    with pytest.raises(ConfigError, match=f"running as '{other.pw_name}' needs devctl to run as root"):
        norm({"user": other.pw_name}, tmp_path)
