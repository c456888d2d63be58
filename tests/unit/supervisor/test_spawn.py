"""What a service is started with: environment and the user switch (no process is started)."""

import os
import pwd

import pytest

from devctl.supervisor.spawn import _as_user, child_env

ROOT = pwd.getpwuid(0)


def spec(**extra):
    return {"name": "db", "command": ["postgres"], "cwd": "/", "env": {}, "user": None, **extra}


def test_a_user_service_gets_that_users_login_variables_and_ids(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(os, "geteuid", lambda: 4242)  # as if root were another user than us
    # the plan's env wins over the user's HOME
    env = child_env(spec(user="0", env={"HOME": "/srv/db"}), base={"HOME": "/mine", "USER": "me"})
    assert (env["HOME"], env["USER"], env["LOGNAME"]) == ("/srv/db", ROOT.pw_name, ROOT.pw_name)
    options = _as_user(spec(user=ROOT.pw_name))
    assert (options["user"], options["group"]) == (0, ROOT.pw_gid) and ROOT.pw_gid in options["extra_groups"]


def test_no_user_or_our_own_user_changes_nothing():
    me = pwd.getpwuid(os.geteuid()).pw_name
    for svc in (spec(), spec(user=me)):
        assert _as_user(svc) == {}
        assert child_env(svc, base={"HOME": "/mine"})["HOME"] == "/mine"
