"""`devctl plugins new NAME`: write a working plugin under `plugins/` and register it.

The plugin file is created exclusively (an existing file is never overwritten) and the entry
is added to `.devctl.yaml` with a ruamel.yaml round trip, so the file keeps its comments, key
order and indentation. Everything is checked before anything is written; if the config cannot
be written, the new plugin file is removed again — no half-done scaffold is left behind.

The Python template uses `devctl.sdk`, so it must run on an interpreter that can import
devctl: the entry says `path: devctl:python`, devctl's own interpreter on every machine (a venv,
pipx or uv tool install alike), instead of this machine's interpreter path.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devctl.config import DEVCTL_PYTHON
from devctl.errors import ConfigError, display_path
from devctl.util.atomic import write_atomic

LANGS = ("python", "bash")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$")
CONFIG_HEADER = "# devctl configuration (see docs/configuration.md).\n"

PYTHON_TEMPLATE = '''\
#!/usr/bin/env python3
"""{name}: a devctl plugin (protocol v1) written with devctl.sdk.

devctl starts this file and talks to it over stdin/stdout. print() and log() output goes
to stderr, so stdout stays clean. Check the plugin at any time: devctl plugins check {name}
"""

from devctl.sdk import Plugin, PluginFailure, log

plugin = Plugin("{name}")


@plugin.op("config.mutate")
def mutate(req):
    """Add or change config values by dotted key; req.config is the config so far."""
    return {{"config_patch": {{"set": {{"{name}.greeting": "hello"}}, "unset": []}}}}


@plugin.op("validate.run")
def validate(req):
    """Report what is missing before devctl starts anything (raise PluginFailure on errors)."""
    return {{"valid": True, "errors": [], "warnings": []}}


@plugin.op("launch.plan")
def plan(req):
    """The services devctl should run, e.g.
    {{"name": "web", "command": ["python3", "-m", "http.server", "8000"]}}"""
    return {{"services": []}}


@plugin.command("{name}-hello", help="Say hello: devctl {name}-hello [NAME...] (an example command)")
def hello(req):
    if req.argv[:1] == ["--fail"]:
        raise PluginFailure("E_HELLO", "asked to fail")
    greeting = req.config.get("{name}", {{}}).get("greeting", "hello")
    log(f"{{greeting}}, {{' '.join(req.argv) or 'world'}}!")
    return 0


if __name__ == "__main__":
    plugin.run()
'''

BASH_TEMPLATE = r'''#!/usr/bin/env bash
# {name}: a devctl plugin (protocol v1) in plain bash.
# stdout carries protocol frames only: write everything else to stderr (>&2).
# Check the plugin at any time: devctl plugins check {name}
set -u

emit() {{ printf '%s\n' "$1"; }}

# field NAME LINE: sets REPLY to the string field NAME of a one-line JSON object.
field() {{
  local re='"'"$1"'"[[:space:]]*:[[:space:]]*"(([^"\\]|\\.)*)"'
  REPLY=""
  if [[ $2 =~ $re ]]; then REPLY=${{BASH_REMATCH[1]}}; fi
}}

emit '{{"type":"handshake","protocol_version":"v1","plugin_name":"{name}","capabilities":'\
'{{"ops":["config.mutate","validate.run","launch.plan","commands.list","command.run"],'\
'"commands":["{name}-hello"]}}}}'

while IFS= read -r line || [[ -n $line ]]; do
  [[ -z ${{line//[[:space:]]/}} ]] && continue
  field request_id "$line"; rid=$REPLY
  field op "$line"; op=$REPLY
  ok() {{ emit "{{\"type\":\"response\",\"request_id\":\"$rid\",\"ok\":true,\"output\":$1}}"; }}
  case $op in
    config.mutate) ok '{{"config_patch":{{"set":{{"{name}.greeting":"hello"}},"unset":[]}}}}' ;;
    validate.run)  ok '{{"valid":true,"errors":[],"warnings":[]}}' ;;
    launch.plan)   ok '{{"services":[]}}' ;;
    commands.list) ok '{{"commands":[{{"name":"{name}-hello","help":"Say hello (an example command)"}}]}}' ;;
    command.run)   echo "hello from {name}" >&2; ok '{{"exit_code":0}}' ;;
    *) emit "{{\"type\":\"response\",\"request_id\":\"$rid\",\"ok\":false,"\
"\"error\":{{\"code\":\"E_UNSUPPORTED\",\"message\":\"unsupported op: $op\"}}}}" ;;
  esac
done
'''


@dataclass
class Scaffolded:
    plugin_file: Path
    config_file: Path
    created_config: bool
    entry: dict[str, Any]


def new_plugin(repo_root: Path, name: str, lang: str = "python", *,
               config_file: Path | None = None) -> Scaffolded:
    """Create `plugins/<name>.{py,sh}` and add plugin `name` to the config file."""
    if not _NAME.match(name):
        raise ConfigError(f"invalid plugin name {name!r}: use letters, digits, '-' and '_' (at most 48, "
                          "starting with a letter or digit)")
    if lang not in LANGS:
        raise ConfigError(f"--lang {lang!r}: expected one of {', '.join(LANGS)}")
    config = config_file if config_file is not None else repo_root / ".devctl.yaml"
    rel = f"plugins/{name}.{'py' if lang == 'python' else 'sh'}"
    target = repo_root / rel
    if target.exists():
        raise ConfigError(f"{rel} already exists: not overwriting it (pick another name, or delete it)")
    yaml, data, existed = _load(config)
    plugins = data.get("plugins") if data is not None else None
    if plugins is not None and not isinstance(plugins, list):
        raise ConfigError(f"{_at(config, _key_line(data, 'plugins'))}plugins: expected a list to add "
                          f"a plugin to, got {type(plugins).__name__}")
    for item in plugins or []:
        if isinstance(item, dict) and item.get("id") == name:
            line = getattr(getattr(item, "lc", None), "line", None)
            raise ConfigError(f"{_at(config, line)}a plugin with id {name!r} is already configured")
    entry = _entry(name, rel, lang)
    text = (PYTHON_TEMPLATE if lang == "python" else BASH_TEMPLATE).format(name=name)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(target, 0o755)
    try:
        _save(yaml, data, config, entry, existed)
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise
    return Scaffolded(target, config, not existed, entry)


def _entry(name: str, rel: str, lang: str) -> dict[str, Any]:
    if lang == "bash":
        return {"id": name, "path": rel}
    # Not a path of this machine (.devctl.yaml is committed), not `python3` (which may not have
    # devctl installed): the interpreter devctl itself runs on, whatever it is on each machine.
    return {"id": name, "path": DEVCTL_PYTHON, "args": [rel]}


def _at(config: Path, line: int | None) -> str:
    """`file:line: ` the way the config loader names a place (line is 0-based, as ruamel has it)."""
    return f"{display_path(config)}:{line + 1}: " if line is not None else f"{display_path(config)}: "


def _key_line(data: Any, key: str) -> int | None:
    with contextlib.suppress(AttributeError, KeyError, TypeError):
        return data.lc.key(key)[0]
    return None


def _load(config: Path) -> tuple[Any, Any, bool]:
    from ruamel.yaml import YAML, YAMLError
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.util import load_yaml_guess_indent

    yaml = YAML()
    yaml.preserve_quotes = True
    if not config.exists():
        yaml.indent(mapping=2, sequence=4, offset=2)
        return yaml, CommentedMap(), False
    try:
        text = config.read_text(encoding="utf-8")
        _guess, indent, seq_offset = load_yaml_guess_indent(text)
        data = yaml.load(text)  # this instance keeps quotes as written
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{_at(config, None)}cannot read: {exc}") from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line if mark is not None else None
        raise ConfigError(f"{_at(config, line)}invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if indent is None:
        yaml.indent(mapping=2, sequence=4, offset=2)
    else:
        offset = seq_offset or 0
        yaml.indent(mapping=max(2, indent - offset), sequence=indent, offset=offset)
    if data is None:
        data = CommentedMap()
    if not isinstance(data, dict):
        raise ConfigError(f"{_at(config, None)}the top level must be a mapping (plugins: [...])")
    return yaml, data, True


def _save(yaml: Any, data: Any, config: Path, entry: dict[str, Any], existed: bool) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    item = CommentedMap(entry)
    if "args" in entry:
        args = CommentedSeq(entry["args"])
        args.fa.set_flow_style()
        item["args"] = args
    if data.get("plugins") is None:
        data["plugins"] = CommentedSeq()
    plugins = data["plugins"]
    previous = plugins[-1] if len(plugins) else None
    plugins.append(item)
    if previous is not None:
        _move_trailing_comments(previous, item)
    buf = io.StringIO()
    if not existed:
        buf.write(CONFIG_HEADER)
    yaml.dump(data, buf)
    config.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(config, buf.getvalue())  # keeps the mode of the file it replaces


def _comment_slot(node: Any) -> tuple[list[Any], int] | None:
    """Where ruamel keeps the comment lines that follow `node`'s last line: (slot list, index)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap) and len(node):
        key = list(node)[-1]
        deeper = _comment_slot(node[key])
        if deeper is not None:
            return deeper
        slot = node.ca.items.get(key)
        return (slot, 2) if slot and len(slot) > 2 and slot[2] is not None else None
    if isinstance(node, CommentedSeq) and len(node):
        index = len(node) - 1
        deeper = _comment_slot(node[index])
        if deeper is not None:
            return deeper
        slot = node.ca.items.get(index)
        return (slot, 0) if slot and slot[0] is not None else None
    return None


def _move_trailing_comments(previous: Any, item: Any) -> None:
    """Keep full-line comments that followed the old last plugin (often the file's closing
    comments) after the new one; the old entry's end-of-line comment stays where it was."""
    import copy

    found = _comment_slot(previous)
    if found is None:
        return
    slot, index = found
    token = slot[index]
    head, newline, tail = token.value.partition("\n")
    if not newline or not tail.strip():
        return
    if head.strip():
        kept = copy.copy(token)
        kept.value = head + "\n"
        slot[index] = kept
    else:
        slot[index] = None
    token.value = "\n" + tail
    item.ca.items[list(item)[-1]] = [None, None, token, None]
