"""Fuzzing with hypothesis: every input is accepted or gets the documented error type.

Never another exception, never a hang (pytest-timeout bounds each test). The example count is
the reliability budget's (300 per test in CI, 5000 with --long; docs/reliability.md); run with
`--hypothesis-show-statistics` to see how many were tried and how many were distinct.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devctl.errors import ConfigError, PluginError
from devctl.protocol import frames
from devctl.protocol.ndjson import FrameError, LineSplitter, LineTooLong, decode, encode
from tests.reliability import strategies as S
from tests.reliability.budget import fuzz

# ---- the NDJSON codec -------------------------------------------------------------------------


@fuzz()
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_decode_returns_an_object_or_frame_error(raw):
    try:
        obj = decode(raw)
    except FrameError as exc:
        assert isinstance(exc.message, str) and len(exc.line) <= 201
        return
    assert isinstance(obj, dict)
    assert decode(encode(obj)) == obj  # what we accept, we can send back unchanged


@fuzz()
@given(st.lists(st.binary(max_size=40) | st.sampled_from([b"\n", b"\r\n", b"\xff\xfe", b"{}\n"]),
                max_size=30),
       st.integers(1, 64))
def test_splitter_yields_exactly_the_lines_of_the_stream(chunks, cap):
    """Whatever the chunking, the lines are those of the whole stream, or LineTooLong when a
    line passes the cap (and only then)."""
    data = b"".join(chunks)
    splitter = LineSplitter(max_len=cap)
    got: list[bytes] = []
    try:
        for chunk in chunks:
            got += splitter.feed(chunk)
        tail = splitter.flush()
    except LineTooLong:
        assert any(len(piece) > cap for piece in data.split(b"\n"))
        with pytest.raises(LineTooLong):
            splitter.feed(b"x\n")  # poisoned: the stream is out of sync
        return
    *whole, last = data.split(b"\n")
    assert all(len(piece) <= cap for piece in data.split(b"\n"))
    assert got == [ln[:-1] if ln.endswith(b"\r") else ln for ln in whole]
    assert tail == (last or None)


def test_a_huge_line_is_refused_before_it_is_buffered():
    splitter = LineSplitter()
    chunk = b"x" * 65536
    with pytest.raises(LineTooLong):
        for _ in range(17):  # 1 MiB + 64 KiB, never a newline
            splitter.feed(chunk)
    assert len(splitter._buf) == 0  # nothing kept after the refusal


# ---- frame validation: devctl protocol v1 ------------------------------------------------------


@fuzz()
@given(S.mutate(S.HANDSHAKE) | S.JSON)
def test_handshake_validation(obj):
    if not isinstance(obj, dict):
        return
    try:
        hs = frames.validate_handshake(obj)
    except FrameError:
        return
    assert all(isinstance(op, str) and op for op in hs.ops)


@fuzz()
@given(S.mutate(S.RESPONSE) | S.mutate(S.ERROR_RESPONSE) | S.mutate(S.EVENT) | S.mutate(S.REQUEST))
def test_response_event_request_validation(obj):
    for check in (frames.validate_response, frames.validate_event, frames.validate_request,
                  frames.frame_type):
        with contextlib.suppress(FrameError):
            check(obj)


# ---- frame validation: Dofek and dotagent ------------------------------------------------------


@fuzz()
@given(S.mutate(S.POLL) | S.JSON)
def test_dofek_poll_response_validation_never_raises(obj):
    from devctl.dofek.frames import validate

    result = validate(obj)
    assert (result.response is None) == bool(result.errors)
    for issue in result.issues:
        assert issue.severity in ("error", "warning") and isinstance(str(issue), str)


@fuzz()
@given(S.mutate(S.INFO) | S.mutate(S.REPLY) | S.JSON)
def test_dotagent_info_and_reply_checks(obj):
    from devctl.dotagent.events import check_events
    from devctl.dotagent.spec import InfoError, ReplyError, check_info, check_reply, salvage

    try:
        check_info(obj)
    except InfoError as exc:
        assert exc.problems and all(isinstance(p, str) for p in exc.problems)
    with contextlib.suppress(ReplyError):
        check_reply(obj)
    salvage(obj)
    assert isinstance(check_events(obj), list)


# ---- config patches ---------------------------------------------------------------------------

PATHS = st.sampled_from(["a", "a.b", "a.b.c", "x", "", ".", "a..b", "a.", ".a", "a.b.c.d.e"]) | st.text(
    max_size=10)
PATCHES = st.fixed_dictionaries({}, optional={
    "set": st.dictionaries(PATHS, S.JSON, max_size=5) | S.JSON,
    "unset": st.lists(PATHS | S.SCALARS, max_size=4) | S.JSON,
}) | S.JSON


@fuzz()
@given(st.dictionaries(st.sampled_from(["a", "b", "x"]), S.JSON, max_size=3), PATCHES)
def test_config_patch_applies_or_names_the_plugin(config, patch):
    from devctl.pipeline.patch import apply_patch

    before = json.dumps(config, sort_keys=True)
    try:
        result = apply_patch(config, patch, "p")
    except PluginError as exc:
        assert exc.plugin == "p" and "config_patch" in exc.message
        return
    finally:
        assert json.dumps(config, sort_keys=True) == before  # the input is never modified
    sets = (patch.get("set") or {}) if isinstance(patch, dict) else {}
    for path, value in sets.items():
        if any(other != path and other.startswith(path + ".") for other in sets):
            continue  # a longer path set after this one changed what is under it
        node = result
        for part in path.split("."):
            node = node[part]
        assert node == value  # every set lands where its path says


# ---- .devctl.yaml loading ---------------------------------------------------------------------


@fuzz()
@given(S.YAML_TEXT | st.text(max_size=200) | st.binary(max_size=100).map(lambda b: b.decode("latin-1")))
def test_config_file_loads_or_raises_config_error(tmp_path_factory, text):
    from devctl.config import load_config

    root: Path = tmp_path_factory.mktemp("cfg")
    (root / ".devctl.yaml").write_text(text, encoding="utf-8", errors="surrogateescape")
    try:
        cfg = load_config(root)
    except ConfigError as exc:
        assert ".devctl.yaml" in exc.message.split(":")[0], exc.message  # names the file (and line)
        return
    assert cfg.repo_root == root
    json.dumps([cfg.preflight, cfg.notifiers])  # what reaches plugins must be sendable


LAUGHS = "\n".join(["preflight:", "  - plugin: x", "    config:",
                    "      l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
                   + [f"      l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)])


@pytest.mark.parametrize(("text", "message"), [
    ("preflight:\n  - plugin: x\n    config: &a {b: *a}\n",
     ".devctl.yaml:3: preflight[0].config: refers to itself through a YAML alias"),
    ("notifiers:\n  - plugin: x\n    config: {a: &s [1, *s]}\n",
     ".devctl.yaml:3: notifiers[0].config: refers to itself through a YAML alias"),
    (LAUGHS, ".devctl.yaml:4: preflight[0].config: expands to more than 100000 values"),
])
def test_config_alias_cycles_and_bombs_are_config_errors(tmp_path, text, message):
    """Found by hand after fuzzing: a recursive alias crashed `devctl validate` with a traceback."""
    from devctl.config import load_config

    (tmp_path / ".devctl.yaml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert message in info.value.message


# ---- launch plan services (issue 12: values the OS or a timer cannot take) ---------------------

_TEXT_HOSTILE = st.text(st.characters(codec=None, blacklist_categories=()), max_size=12) | st.sampled_from(
    ["a\0b", "\ud800", "\udfff", "\udcff", "~", "~/x", "web\n", "http://[::1/", "http://h:99999/",
     "http://h/ x"])
_NUMBER_HOSTILE = (st.integers(-(2**70), 2**70)
                   | st.sampled_from([0, 1, 1_000_000, 1_000_001, 3_600_000, 3_600_001, 10**13, -1, 1.5,
                                     True])
                   | st.floats())
_SERVICE = st.fixed_dictionaries(
    {"name": st.sampled_from(["web", "web\n", "a" * 129, "ok.name"]) | _TEXT_HOSTILE},
    optional={
        "command": st.lists(_TEXT_HOSTILE | st.sampled_from(["python3", ""]), max_size=3) | S.JSON,
        "cwd": _TEXT_HOSTILE | S.JSON,
        "env": st.dictionaries(_TEXT_HOSTILE, _TEXT_HOSTILE | S.JSON, max_size=3) | S.JSON,
        "stop_timeout_ms": _NUMBER_HOSTILE | S.JSON,
        "max_restarts": _NUMBER_HOSTILE,
        "restart": st.sampled_from(["no", "always", "sometimes"]) | S.JSON,
        "stop_signal": st.sampled_from(["TERM", "SIGKILL", "SIGNOPE"]) | _TEXT_HOSTILE,
        "depends_on": st.lists(_TEXT_HOSTILE, max_size=2) | S.JSON,
        "health": st.fixed_dictionaries(
            {"type": st.sampled_from(["tcp", "http", "udp"])},
            optional={"url": _TEXT_HOSTILE, "address": _TEXT_HOSTILE | st.sampled_from(["h:1", "h:0", ":80"]),
                      "timeout_ms": _NUMBER_HOSTILE}) | S.JSON,
    },
)


@pytest.mark.timeout(1500)  # generating nested hostile services is slow: --long took 564 s on 2 busy cores
@fuzz()
@given(_SERVICE | S.JSON)
def test_a_planned_service_is_runnable_or_a_config_error(raw):
    """Whatever a plugin plans, normalization returns a service the supervisor can run — every
    string encodable for exec and free of NUL, every number inside its documented range, the
    whole spec strict JSON — or a ConfigError naming the plugin. Before issue 12, a NUL byte,
    a lone surrogate or `stop_timeout_ms: 10**13` passed here and crashed the supervisor or `down`."""
    from devctl.pipeline.services import NUMBER_RANGES, normalize_service

    try:
        spec = normalize_service(raw, "fuzz", Path("/repo"))
    except ConfigError as exc:
        assert "plugin 'fuzz'" in exc.message
        return
    json.dumps(spec, allow_nan=False)  # strict JSON: state.json, plan --json
    for text in [*spec["command"], spec["cwd"], *spec["env"], *spec["env"].values()]:
        assert "\0" not in text
        text.encode("utf-8")  # strict: what state.json and plan --json write
    assert not spec["cwd"].startswith("/repo/~")
    low, high = NUMBER_RANGES["stop_timeout_ms"]
    assert low <= spec["stop_timeout_ms"] <= high
    low, high = NUMBER_RANGES["max_restarts"]
    assert low <= spec["max_restarts"] <= high
    if spec["health"]:
        low, high = NUMBER_RANGES["health.timeout_ms"]
        assert low <= spec["health"]["timeout_ms"] <= high
