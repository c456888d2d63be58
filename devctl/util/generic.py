"""`Generic` for classes whose type parameter only type checkers read.

`up` loads its plugin host and the supervisor's loop on the way to the first spawn, and
`typing` costs ~5 ms of CPU there (docs/performance.md, "T2"). A class such as
`procs.tasks.Queue[Item]` is subscripted in annotations only, which nothing evaluates at run
time (every module has `from __future__ import annotations`). So type checkers see
`typing.Generic`, and the run sees a base that takes a subscript and gives the class back.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: the point is not to import it
if TYPE_CHECKING:
    from typing import Generic as Generic
else:
    class Generic:
        """`Base[X]` is `Base`: a class generic for type checkers only."""

        __slots__ = ()

        def __class_getitem__(cls, item: object) -> type:
            return cls


__all__ = ["Generic"]
