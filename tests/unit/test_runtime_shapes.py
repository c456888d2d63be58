"""The records typed for type checkers only, and the shapes that stand for them at run time.

Modules `up` loads before its first spawn keep `typing` out of the run (docs/performance.md,
"T2"): a named tuple's fields are declared once for type checkers (a `typing.NamedTuple` under
`if TYPE_CHECKING:`) and once for the run (`collections.namedtuple`), and `ServiceSpec`'s keys
are listed for the run in `SERVICE_KEYS`. These tests keep each pair equal, field by field.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from types import ModuleType

import pytest

from devctl.pipeline import health_spec, services
from devctl.plugins import codes
from devctl.procs import identity
from devctl.protocol import frames
from devctl.supervisor import up


def typed_fields(module: ModuleType, class_name: str) -> tuple[list[str], int]:
    """(field names in order, how many have a default) of `class_name` as the type checker sees
    it: the class of that name inside the module's `if TYPE_CHECKING:` block."""
    tree = ast.parse(inspect.getsource(module))
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for item in ast.walk(node):
                if isinstance(item, ast.ClassDef) and item.name == class_name:
                    fields = [s for s in item.body if isinstance(s, ast.AnnAssign)]
                    names = [s.target.id for s in fields if isinstance(s.target, ast.Name)]
                    return names, sum(s.value is not None for s in fields)
    raise AssertionError(f"no class {class_name} under `if TYPE_CHECKING:` in {module.__name__}")


@pytest.mark.parametrize(("module", "typed", "runtime"), [
    (frames, "_HandshakeFields", frames.Handshake),
    (frames, "_ResponseFields", frames.Response),
    (frames, "_EventFields", frames.Event),
    (codes, "_FailureFields", codes.Failure),
    (up, "_PreflightFields", up.Preflight),
    (identity, "_IdentityFields", identity.Identity),
])
def test_a_named_tuple_has_the_fields_and_defaults_its_type_declares(
        module: ModuleType, typed: str, runtime: type) -> None:
    names, defaults = typed_fields(module, typed)
    assert list(runtime._fields) == names  # type: ignore[attr-defined]
    assert len(runtime._field_defaults) == defaults  # type: ignore[attr-defined]
    assert runtime.__name__ == typed.removeprefix("_").removesuffix("Fields")


def test_a_named_tuple_reads_by_name_prints_by_name_and_stays_immutable() -> None:
    response = frames.Response("r1", False, {}, ("E_X", "broke"))
    assert response.error == ("E_X", "broke") and response.stream_id is None
    assert repr(response) == "Response(request_id='r1', ok=False, output={}, error=('E_X', 'broke'))"
    assert frames.Response("r1", True, {}) == ("r1", True, {}, None)
    with pytest.raises(AttributeError):
        response.ok = True  # type: ignore[misc]
    with pytest.raises(AttributeError):
        response.extra = 1  # type: ignore[attr-defined]  # __slots__ = (): no instance dict


def test_service_keys_are_the_typed_keys_and_what_normalize_service_returns(tmp_path: Path) -> None:
    names, _ = typed_fields(services, "ServiceSpec")
    assert list(services.SERVICE_KEYS) == names
    spec = services.normalize_service({"name": "web", "command": ["true"]}, "p", tmp_path)
    assert list(spec) == names


def test_the_typed_spec_matches_what_the_validator_returns(tmp_path: Path) -> None:
    """ServiceSpec is the contract the supervisor is typed against: every key, all required;
    a health check's keys are among HealthCheck's; the restart policies are the Literal's."""
    service = services.normalize_service(
        {"name": "a", "command": ["x"], "health": {"type": "tcp", "address": "h:1"}}, "p", tmp_path)
    assert set(service) == set(typed_fields(services, "ServiceSpec")[0])
    assert service["health"] is not None
    health_keys = typed_fields(health_spec, "HealthCheck")[0]
    assert set(service["health"]) <= set(health_keys)
    assert set(health_keys) == set(health_spec.COMMON_KEYS).union(*health_spec.KIND_KEYS.values())
    assert set(services.RESTART_POLICIES) == set(literal_values(services, "RestartPolicy"))


def literal_values(module: ModuleType, alias: str) -> list[object]:
    """The values of `alias = Literal[...]` under the module's `if TYPE_CHECKING:`."""
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if (isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [alias]
                and isinstance(node.value, ast.Subscript)):
            elts = node.value.slice.elts if isinstance(node.value.slice, ast.Tuple) else [node.value.slice]
            return [ast.literal_eval(e) for e in elts]
    raise AssertionError(f"no {alias} = Literal[...] in {module.__name__}")


def test_restart_policy_is_checked_and_kept() -> None:
    assert services._restart("always") == "always"
    with pytest.raises(services._Bad, match="'restart' must be one of"):
        services._restart("sometimes")


def test_a_class_generic_for_type_checkers_only_takes_a_subscript_at_run_time() -> None:
    from devctl.pipeline.merge import NamedMerge
    from devctl.procs import tasks

    assert tasks.Queue[int] is tasks.Queue and NamedMerge[dict] is NamedMerge
    merge: NamedMerge[str] = NamedMerge("service")
    merge.add("a", "one", "p")
    assert merge.values() == ["one"]
