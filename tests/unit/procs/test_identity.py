"""Who a `user:` service runs as (the lookup; the switch itself is tested with a real child in
tests/integration/test_declared_services.py)."""

import os
import pwd

import pytest

from devctl.procs import identity


def test_lookup_by_name_and_uid_gives_groups_and_login_variables():
    entry = pwd.getpwuid(0)
    by_name, by_uid = identity.lookup(entry.pw_name), identity.lookup("0")
    assert by_name == by_uid
    assert (by_name.uid, by_name.gid, by_name.home) == (0, entry.pw_gid, entry.pw_dir)
    assert entry.pw_gid in by_name.groups
    assert by_name.env() == {"HOME": entry.pw_dir, "USER": entry.pw_name, "LOGNAME": entry.pw_name}
    assert by_name.popen_options() == {"user": 0, "group": entry.pw_gid, "extra_groups": list(by_name.groups)}


def test_unknown_users():
    with pytest.raises(LookupError, match="no such user 'no-such-user-here'"):
        identity.lookup("no-such-user-here")
    assert identity.check("99999999999999999999") == "no such user '99999999999999999999' on this machine"
    with pytest.raises(OSError, match="no such user"):  # at spawn: an OSError, like any failed start
        identity.for_child("no-such-user-here")


def test_no_switch_for_no_user_or_ourselves():
    assert identity.for_child(None) is None
    assert identity.for_child(pwd.getpwuid(os.geteuid()).pw_name) is None
    assert identity.check(str(os.geteuid())) is None
