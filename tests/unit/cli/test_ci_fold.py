"""Folding service logs per CI system (GitHub Actions groups, GitLab sections, plain headers)."""

from devctl.cli.ci_fold import Folding, fold, folding, in_ci, section_id


def test_ci_is_read_from_the_ci_variable():
    assert in_ci({"CI": "true"}) and in_ci({"CI": "1"}) and in_ci({"CI": "True"})
    assert not in_ci({}) and not in_ci({"CI": "false"}) and not in_ci({"CI": ""})


def test_folding_follows_the_ci_system():
    assert folding({"GITHUB_ACTIONS": "true", "CI": "true"}) is Folding.GITHUB
    assert folding({"GITLAB_CI": "true", "CI": "true"}) is Folding.GITLAB
    assert folding({"CI": "true"}) is Folding.PLAIN
    assert folding({"GITHUB_ACTIONS": "false", "GITLAB_CI": "true"}) is Folding.GITLAB


def test_github_group_wraps_the_lines_and_cannot_be_closed_by_one():
    got = fold(Folding.GITHUB, "logs of web", ["a", "::endgroup::", "b"])
    assert got == ["::group::logs of web", "a", " ::endgroup::", "b", "::endgroup::"]


def test_gitlab_section_markers_with_timestamp_collapsed_and_erase_line():
    got = fold(Folding.GITLAB, "logs of web\nx", ["a"], index=2, now=1700000000)
    sid = section_id("logs of web x", 2)
    assert got[0] == f"section_start:1700000000:{sid}[collapsed=true]\r\x1b[0Klogs of web x"
    assert got[1:] == ["a", f"section_end:1700000000:{sid}\r\x1b[0K"]


def test_gitlab_section_id_holds_only_allowed_characters_and_is_unique_by_index():
    sid = section_id("logs of api-v2 (é)", 0)
    assert all(c.isascii() and (c.isalnum() or c in "_.-") for c in sid)
    assert section_id("x", 0) != section_id("x", 1)


def test_plain_headers_otherwise():
    assert fold(Folding.PLAIN, "logs of web", ["a"]) == ["===== logs of web =====", "a",
                                                           "===== end of logs of web ====="]
