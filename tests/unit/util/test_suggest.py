"""The one "did you mean" rule shared by the config readers."""

from __future__ import annotations

from devctl.util.suggest import closest, unknown_key


def test_closest_finds_a_typo() -> None:
    assert closest("comand", ["command", "env", "cwd"]) == "command"


def test_closest_is_none_when_nothing_is_near() -> None:
    assert closest("zzz", ["command", "env"]) is None
    assert closest("x", []) is None


def test_closest_accepts_any_iterable() -> None:
    assert closest("plugns", (k for k in ("plugins", "services"))) == "plugins"


def test_unknown_key_suggests_the_nearest_key() -> None:
    assert unknown_key("servics", ["services", "plugins"]) == "unknown key (did you mean 'services'?)"


def test_unknown_key_lists_the_known_keys_otherwise() -> None:
    assert unknown_key("zzz", ("a", "b")) == "unknown key (known keys: a, b)"
