"""Small record classes written out once, instead of `@dataclass` generated at every start.

Why not dataclasses: importing `dataclasses` pulls `inspect` (and `ast`, `dis`, `tokenize`),
10-25 ms on the 2-core box, and every `@dataclass` then compiles its `__init__`, `__eq__`,
`__repr__`... from source when its module is imported (1.5-2 ms a class). The supervisor pays
that between its fork and its first spawn, `plan` and every plugin command before their first
request (issue 17, docs/performance.md). The records here behave as the dataclasses they
replace did, for what devctl uses:

- `Fields`: a mutable record (a plain `@dataclass`): a subclass names its fields in `__slots__`
  (in `__init__` order) and writes its own `__init__`; equal by class and fields, unhashable,
  `Name(field=value, ...)` as repr.
- `Record`: the same, immutable and hashable (a `@dataclass(frozen=True)`); its `__init__` sets
  each field once through `object.__setattr__`, and takes every field positionally too (copy,
  deepcopy and pickle rebuild a record through it).
- `replace(record, **changes)`: a copy with some fields changed, as `dataclasses.replace` (an
  unknown field is a TypeError).

Standard library only, and not even `typing` at run time.
"""

from __future__ import annotations

from operator import attrgetter

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `typing` is an import this module avoids
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    R = TypeVar("R", bound="Fields")


class Fields:
    """A mutable record: equal to another of the same class with equal fields, `Name(field=value,
    ...)` as repr, unhashable (like a `@dataclass` with `eq=True`). A subclass names its fields
    in `__slots__`, in `__init__` order."""

    __slots__: tuple[str, ...] = ()
    #: The fields as one tuple (set per class): equality (and a Record's hash) compare these.
    _values: Callable[[Any], tuple[Any, ...]] = staticmethod(lambda _record: ())

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names = cls.__dict__.get("__slots__", ())
        if len(names) > 1:
            cls._values = staticmethod(attrgetter(*names))
        elif names:
            single = attrgetter(names[0])
            cls._values = staticmethod(lambda record: (single(record),))

    def __eq__(self, other: object) -> bool:
        # `!=` on the very same object is the common case (the supervisor's state machine asks it
        # after every input that changed nothing).
        if other is self:
            return True
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values(self) == self._values(other)

    def __ne__(self, other: object) -> bool:
        if other is self:
            return False
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values(self) != self._values(other)

    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable, as a dataclass with eq=True

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__qualname__}({fields})"


class Record(Fields):
    """An immutable value: a `Fields` that is hashable and refuses assignment. Its `__init__`
    sets each field once through `object.__setattr__`."""

    __slots__ = ()

    def __hash__(self) -> int:  # type: ignore[override]  # immutable: hashable again
        return hash((self.__class__, self._values(self)))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of an immutable {type(self).__qualname__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of an immutable {type(self).__qualname__}")

    def __reduce__(self) -> tuple[Any, ...]:
        # copy, deepcopy and pickle rebuild it through `__init__` (fields in `__slots__` order):
        # their default for `__slots__` sets each field, which an immutable record refuses.
        return (self.__class__, self._values(self))


def replace(record: R, **changes: Any) -> R:
    """A copy of `record` with `changes` (as `dataclasses.replace`: an unknown field is a TypeError)."""
    for name in record.__slots__:
        if name not in changes:
            changes[name] = getattr(record, name)
    return record.__class__(**changes)
