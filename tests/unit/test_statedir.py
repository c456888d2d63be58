"""`.devctl/` is created private, and what is already there is checked, never chmod'ed through
a link (issue 12, items 15 and 16). Plain file operations in a temp dir; no process starts."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from devctl.errors import ConfigError, DevctlError
from devctl.statedir import LONGEST_INSIDE, check_name, ensure_state_dir, ensure_subdir


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_state_dir_is_private_and_an_existing_one_is_made_private(tmp_path):
    path = ensure_state_dir(tmp_path)
    assert mode(path) == 0o700 and (path / ".gitignore").read_text() == "*\n"
    os.chmod(path, 0o755)
    ensure_subdir(tmp_path, "logs")
    assert mode(path) == 0o700 and mode(path / "logs") == 0o700


def test_a_symlinked_state_dir_never_changes_its_targets_mode(tmp_path):
    """A `.devctl` linking to a shared 1777 directory made that directory 0700."""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / ".devctl").symlink_to(shared)
    with pytest.raises(DevctlError, match="is a symlink to .*which others can use \\(mode 1777\\)"):
        ensure_state_dir(repo)
    assert stat.S_IMODE(os.lstat(shared).st_mode) == 0o1777
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    (repo / ".devctl").unlink()
    (repo / ".devctl").symlink_to(private)
    assert ensure_state_dir(repo) == repo / ".devctl"  # a private target of ours is used as it is
    assert (private / ".gitignore").exists() and mode(private) == 0o700


def test_a_regular_file_in_place_of_the_state_dir_is_a_clear_error(tmp_path):
    (tmp_path / ".devctl").write_text("not a dir")
    with pytest.raises(DevctlError, match=r"cannot use .*\.devctl: .*a file is in the way"):
        ensure_subdir(tmp_path, "logs")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the directory to another uid")
def test_a_state_dir_of_another_user_is_refused(tmp_path):
    (tmp_path / ".devctl").mkdir(mode=0o700)
    os.chown(tmp_path / ".devctl", 65534, 65534)
    with pytest.raises(DevctlError, match="belongs to uid 65534, not to you"):
        ensure_state_dir(tmp_path)
    assert mode(tmp_path / ".devctl") == 0o700


def test_a_repo_path_too_deep_for_the_files_inside_is_refused_up_front(tmp_path):
    deep = tmp_path
    limit = os.pathconf(tmp_path, "PC_PATH_MAX")
    while len(os.fsencode(str(deep))) + LONGEST_INSIDE + 10 < limit:
        deep = deep / ("d" * min(200, limit - len(os.fsencode(str(deep))) - LONGEST_INSIDE))
    deep.mkdir(parents=True)
    with pytest.raises(DevctlError, match="the repo path is too long"):
        ensure_state_dir(deep)
    assert not (deep / ".devctl").exists()


@pytest.mark.parametrize("name", ["web\n", "web\n\n", "\nweb", "web\r", "a" * 129, ".hidden", "-x", "a/b"])
def test_names_with_a_trailing_newline_or_worse_are_refused(name):
    with pytest.raises(ConfigError, match="invalid name"):
        check_name(name)
