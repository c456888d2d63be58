"""The JSON Schema of `.devctl.yaml` agrees with the loader, and `devctl schema` prints it.

The loader is the authority; the schema is what editors see. They must not disagree where an
editor would mislead a user: every config in the repo (and every full config in the docs) is
valid for both, and every config the loader rejects for a wrong *type* is rejected by the schema.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devctl.config import load_config
from devctl.config.loader import NOTIFIER_KEYS, PLUGIN_KEYS, PREFLIGHT_KEYS, TOP_KEYS
from devctl.errors import ConfigError
from devctl.schema import config_schema

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", ".git", ".devctl", "node_modules", "site", "build", "dist", ".hypothesis"}
VALIDATOR = jsonschema.Draft7Validator(config_schema())


def schema_errors(doc: object) -> list[str]:
    return [e.message for e in VALIDATOR.iter_errors(doc)]


def repo_configs() -> list[Path]:
    found = []
    for path in ROOT.rglob(".devctl.yaml"):
        if not SKIP_DIRS.intersection(path.relative_to(ROOT).parts):
            found.append(path)
    return sorted(found)


def doc_configs() -> list[tuple[str, str]]:
    """Fenced YAML blocks in docs/ that are whole `.devctl.yaml` files (a top-level key of ours)."""
    blocks = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        for i, match in enumerate(re.finditer(r"^```yaml[^\n]*\n(.*?)^```", page.read_text(), re.M | re.S)):
            doc = yaml.safe_load(match.group(1))
            if isinstance(doc, dict) and set(doc) & set(TOP_KEYS):
                blocks.append((f"{page.name}#{i}", match.group(1)))
    return blocks


def test_schema_is_a_valid_draft7_schema():
    jsonschema.Draft7Validator.check_schema(config_schema())


def test_schema_keys_are_the_loaders_keys():
    schema = config_schema()
    assert tuple(schema["properties"]) == TOP_KEYS
    defs = schema["definitions"]
    assert tuple(defs["plugin"]["properties"]) == PLUGIN_KEYS
    assert tuple(defs["preflight"]["properties"]) == PREFLIGHT_KEYS
    assert tuple(defs["notifier"]["properties"]) == NOTIFIER_KEYS


def test_the_repo_has_configs_to_check():
    names = {p.relative_to(ROOT).as_posix() for p in repo_configs()}
    assert {".devctl.yaml", "examples/quickstart/.devctl.yaml"} <= names


@pytest.mark.parametrize("path", repo_configs(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_config_in_the_repo_is_valid_for_loader_and_schema(path: Path):
    load_config(repo_root=path.parent)  # raises ConfigError if the loader disagrees
    assert schema_errors(yaml.safe_load(path.read_text())) == []


@pytest.mark.parametrize(("name", "text"), doc_configs(), ids=[n for n, _ in doc_configs()])
def test_every_full_config_in_the_docs_is_valid_for_the_schema(name: str, text: str):
    assert schema_errors(yaml.safe_load(text)) == []


# Each of these is rejected by the loader for a wrong type (or an unknown key); the schema must
# reject it too, or an editor would show a green file that devctl then refuses.
PLUGIN = f"  - id: p\n    path: {sys.executable}\n"
TYPE_ERRORS = {
    "top-level list": "- a\n- b\n",
    "unknown top key": "plugin: []\n",
    "plugins mapping": "plugins: {id: p}\n",
    "plugin not mapping": "plugins: [p]\n",
    "missing path": "plugins:\n  - id: p\n",
    "missing id": f"plugins:\n  - path: {sys.executable}\n",
    "unknown plugin key": "plugins:\n" + PLUGIN + "    prority: 1\n",
    "priority string": "plugins:\n" + PLUGIN + "    priority: high\n",
    "priority float": "plugins:\n" + PLUGIN + "    priority: 1.5\n",
    "enabled string": "plugins:\n" + PLUGIN + "    enabled: 'no'\n",
    "args string": "plugins:\n" + PLUGIN + "    args: --verbose\n",
    "args nested list": "plugins:\n" + PLUGIN + "    args: [[a]]\n",
    "env list": "plugins:\n" + PLUGIN + "    env: [A=1]\n",
    "env nested": "plugins:\n" + PLUGIN + "    env: {A: {b: 1}}\n",
    "env null value": "plugins:\n" + PLUGIN + "    env: {A: null}\n",
    "workdir list": "plugins:\n" + PLUGIN + "    workdir: [a]\n",
    "path number": "plugins:\n  - id: p\n    path: 3\n",
    "path empty": "plugins:\n  - id: p\n    path: ''\n",
    "id list": f"plugins:\n  - id: [a]\n    path: {sys.executable}\n",
    "id with slash": f"plugins:\n  - id: a/b\n    path: {sys.executable}\n",
    "strictness number": "strictness: 3\n",
    "strictness unknown": "strictness: strict\n",
    "preflight mapping": "preflight: {plugin: x}\n",
    "preflight missing plugin": "preflight:\n  - config: {}\n",
    "preflight config list": "preflight:\n  - plugin: x\n    config: [a]\n",
    "preflight timeout string": "preflight:\n  - plugin: x\n    timeout_s: '10'\n",
    "preflight timeout zero": "preflight:\n  - plugin: x\n    timeout_s: 0\n",
    "preflight events": "preflight:\n  - plugin: x\n    events: [success]\n",
    "notifier events string": "notifiers:\n  - plugin: x\n    events: success\n",
    "notifier plugin number": "notifiers:\n  - plugin: 4\n",
    "notifier timeout bool": "notifiers:\n  - plugin: x\n    timeout_s: true\n",
}


def load_text(tmp_path: Path, text: str) -> None:
    (tmp_path / ".devctl.yaml").write_text(text)
    load_config(repo_root=tmp_path)


@pytest.mark.parametrize("text", TYPE_ERRORS.values(), ids=TYPE_ERRORS.keys())
def test_what_the_loader_rejects_the_schema_rejects(tmp_path: Path, text: str):
    with pytest.raises(ConfigError):
        load_text(tmp_path, text)
    assert schema_errors(yaml.safe_load(text)), "the schema accepted a config the loader rejects"


def test_what_the_loader_accepts_as_written_the_schema_accepts(tmp_path: Path):
    text = ("strictness: error\nplugins:\n  - id: off\n    path: " + sys.executable +
            "\n    args: [--port, 8080, true]\n    env: {PORT: 8080, DEBUG: yes}\n    priority: -3\n"
            "    enabled: false\npreflight:\nnotifiers:\n  - plugin: ./n\n    events: [success]\n"
            "    timeout_s: 2.5\n    config: null\n")
    load_text(tmp_path, text)
    assert schema_errors(yaml.safe_load(text)) == []
    assert schema_errors(None) == []  # an empty file


# Random plugin entries: any key of ours with a value of any YAML type. Whenever the loader
# says a value has the wrong type ("expected ..."), the schema must reject the entry as well.
VALUES = st.one_of(
    # Integral floats (1.0) are left out: JSON, and so JSON Schema, cannot tell 1.0 from 1; see
    # test_integral_floats_are_the_one_known_difference.
    st.none(), st.booleans(), st.integers(-5, 5),
    st.floats(-2, 2, allow_nan=False).filter(lambda f: not f.is_integer()),
    st.sampled_from(["x", "", "a/b", "-v", "8080"]),
    st.lists(st.sampled_from(["a", 1, True]), max_size=2),
    st.dictionaries(st.sampled_from(["K", "L"]), st.sampled_from(["v", 2, None]), max_size=2),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(PLUGIN_KEYS[2:]), VALUES, max_size=3))
def test_random_type_errors_are_caught_by_both(tmp_path: Path, extra: dict):
    entry = {"id": "p", "path": sys.executable, **extra}
    text = yaml.safe_dump({"plugins": [entry]})
    try:
        load_text(tmp_path, text)
    except ConfigError as exc:
        problems = [exc.message, *exc.details]
        if any("expected" in p for p in problems):
            assert schema_errors(yaml.safe_load(text)), problems


def test_integral_floats_are_the_one_known_difference(tmp_path: Path):
    """`priority: 1.0` is a float to devctl's YAML reader but the integer 1 to JSON Schema
    (draft-07 counts 1.0 as an integer). docs/schema.md says so."""
    text = "plugins:\n" + PLUGIN + "    priority: 1.0\n"
    with pytest.raises(ConfigError, match="expected an integer, got 1.0"):
        load_text(tmp_path, text)
    assert schema_errors(yaml.safe_load(text)) == []


def test_the_schema_file_in_docs_is_current():
    """docs/devctl.schema.json is what the examples' modelines and the docs site point at."""
    published = json.loads((ROOT / "docs" / "devctl.schema.json").read_text())
    assert published == config_schema(), "regenerate it: devctl schema -o docs/devctl.schema.json"


# `services:` is checked by the plan validator (devctl.pipeline.declared) rather than the loader;
# the schema must know every field it accepts and reject the types it rejects.
def test_the_service_schema_has_every_declared_field():
    from devctl.pipeline import declared

    assert set(config_schema()["definitions"]["service"]["properties"]) == set(declared.fields())


SERVICE = "services:\n  web:\n    command: [sleep, 1]\n"
SERVICE_TYPE_ERRORS = {
    "services list": "services: [web]\n",
    "service string": "services:\n  web: run\n",
    "bad name": "services:\n  a/b: {command: [x]}\n",
    "no command": "services:\n  web: {cwd: .}\n",
    "unknown key": SERVICE + "    comand: [x]\n",
    "command empty list": "services:\n  web: {command: []}\n",
    "env list": SERVICE + "    env: [A=1]\n",
    "env nested": SERVICE + "    env: {A: {b: 1}}\n",
    "env_file number": SERVICE + "    env_file: 3\n",
    "restart unknown": SERVICE + "    restart: sometimes\n",
    "max_restarts string": SERVICE + "    max_restarts: lots\n",
    "stop_timeout_ms zero": SERVICE + "    stop_timeout_ms: 0\n",
    "health string": SERVICE + "    health: tcp\n",
    "depends_on string": SERVICE + "    depends_on: db\n",
    "user list": SERVICE + "    user: [root]\n",
}


@pytest.mark.parametrize("text", SERVICE_TYPE_ERRORS.values(), ids=SERVICE_TYPE_ERRORS.keys())
def test_what_the_plan_validator_rejects_the_schema_rejects(tmp_path: Path, text: str):
    from devctl.pipeline import declared

    with pytest.raises(ConfigError):
        (tmp_path / ".devctl.yaml").write_text(text)
        declared.plan(load_config(repo_root=tmp_path), {})
    assert schema_errors(yaml.safe_load(text)), "the schema accepted a service the validator rejects"


def test_a_whole_reference_is_fine_where_a_number_is_expected():
    text = SERVICE + "    max_restarts: ${config.retries}\n    env: {PORT: 8080}\n    command: run it\n"
    assert schema_errors(yaml.safe_load(text.replace("    command: [sleep, 1]\n", ""))) == []
