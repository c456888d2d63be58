"""The import graph, drawn from the code: layers point one way and nothing goes round in a circle.

Every module under `devctl/` is parsed (never imported). An edge A → B is any import of B in A —
at module level or inside a function, `from x import y` where y is a module, relative imports,
`importlib.import_module("devctl....")` and every other string literal that names a devctl
module exactly (the lazy command table in `cli/lazy.py` names its command modules that way).

Left out, on purpose:
- imports under `if TYPE_CHECKING:` (never run);
- imports of a module's own parent packages (`devctl.config.loader` → `devctl.config`), implicit
  or written out: Python has run the package `__init__` before any submodule, so such an import
  adds nothing, and a package `__init__` that re-exports (or lazily imports) its submodules is
  not a circle.

Rules:
- nothing outside `devctl/cli/` imports `devctl.cli` — the CLI sits on top of the core
  (`devctl/__main__.py`, the `python -m devctl` entry point, is the one module above it);
- the graph has no cycle.

What the fast commands load at run time (`--version`, `status --json`) is checked in a fresh
interpreter, so it lives with the process-starting tests: tests/integration/test_import_budget.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import devctl

ROOT = Path(devctl.__file__).parent
CLI = "devctl.cli"
#: Above the CLI: `python -m devctl` runs `devctl.cli.main`.
ENTRY_POINTS = {"devctl.__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST):
    """Every node, skipping the bodies of `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def imports_of(name: str, path: Path, modules: set[str]) -> set[str]:
    """The devctl modules that module `name` (at `path`) imports."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()

    def add(target: str) -> None:
        # The module itself, else the nearest enclosing module that exists.
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target.startswith("devctl") and not (name == target or name.startswith(target + ".")):
            found.add(target)

    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                full = f"{source}.{alias.name}"
                add(full if full in modules else source)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in modules:
            add(node.value)  # importlib.import_module("devctl.x"), the lazy command table, ...
    return found


def import_graph() -> dict[str, set[str]]:
    mods = all_modules()
    names = set(mods)
    return {name: imports_of(name, path, names) for name, path in mods.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path `[a, b, ..., a]`, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    for start in sorted(graph):
        if colour[start] != WHITE:
            continue
        stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, todo = stack[-1]
            if not todo:
                colour[node] = BLACK
                stack.pop()
                path.pop()
                continue
            nxt = todo.pop(0)
            if colour.get(nxt, BLACK) == GREY:
                return path[path.index(nxt):] + [nxt]
            if colour.get(nxt) == WHITE:
                colour[nxt] = GREY
                path.append(nxt)
                stack.append((nxt, sorted(graph[nxt])))
    return None


def test_the_graph_sees_function_level_and_string_imports():
    """The reader itself: it must see what the rules are about, or they would pass vacuously."""
    graph = import_graph()
    assert "devctl.cli.supervisor_cmds" in graph["devctl.cli.lazy"]  # named in the lazy table
    assert "devctl.supervisor.up" in graph["devctl.cli.up_run"]  # imported inside a function
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_nothing_outside_cli_imports_cli():
    graph = import_graph()
    offenders = sorted(
        f"{source} imports {target}"
        for source, targets in graph.items()
        if not (source == CLI or source.startswith(CLI + ".")) and source not in ENTRY_POINTS
        for target in targets
        if target == CLI or target.startswith(CLI + ".")
    )
    assert not offenders, "the core must not import the CLI layer:\n" + "\n".join(offenders)


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


#: devctl's packages (and top-level modules) from the top layer down. An import may only point to
#: a lower layer: that is what "layers point one way" means, drawn so a reader sees the whole house.
#: docs/dev/architecture.md shows the same list; a new package is placed here on purpose.
LAYERS: list[set[str]] = [
    {"__main__"},
    {"cli"},
    {"tui"},
    {"conformance", "dofek", "schema", "scaffold"},
    {"plugin_commands", "supervisor"},
    {"pipeline"},
    {"plugins", "dotagent"},
    {"config", "sdk"},
    {"procs"},
    {"protocol", "statedir", "util", "findings"},
    {"errors", "version", "layout"},
]


def part_of(module: str) -> str:
    """`devctl.supervisor.runtime` -> `supervisor`; the `devctl` package itself -> `devctl`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "devctl"


def layer_of(part: str) -> int | None:
    return next((i for i, layer in enumerate(LAYERS) if part in layer), None)


def test_every_package_is_placed_in_a_layer():
    parts = {part_of(m) for m in all_modules()} - {"devctl"}
    unplaced = sorted(p for p in parts if layer_of(p) is None)
    assert not unplaced, f"place these in LAYERS (tests/unit/test_import_layers.py): {unplaced}"


def test_every_import_points_to_a_lower_layer():
    offenders = []
    for source, targets in import_graph().items():
        src_layer = layer_of(part_of(source))
        for target in targets:
            if part_of(target) == part_of(source) or part_of(target) == "devctl":
                continue
            dst_layer = layer_of(part_of(target))
            if src_layer is not None and dst_layer is not None and dst_layer <= src_layer:
                offenders.append(f"{source} (layer {src_layer}) imports {target} (layer {dst_layer})")
    assert not offenders, "imports must point down the layers:\n" + "\n".join(sorted(offenders))
