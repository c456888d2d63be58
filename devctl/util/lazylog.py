"""A logger that imports `logging` only when it has something to say.

`import logging` costs 5-10 ms of CPU (it pulls `traceback`, `string`, `threading` and more), and
the plugin host and the stderr tails log only when something goes wrong. Their modules sit on
the path of every `plan`, `up` and plugin command, so they hold a `LazyLogger` instead: the same
logger by name (handlers, levels and caplog see no difference), created on its first message.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `up` loads this module (docs/performance.md, "T2")
if TYPE_CHECKING:
    import logging
    from typing import Any


class LazyLogger:
    """`logging.getLogger(name)`, looked up on the first call of `warning` or `exception`."""

    __slots__ = ("_logger", "name")

    def __init__(self, name: str):
        self.name = name
        self._logger: logging.Logger | None = None

    def _get(self) -> logging.Logger:
        if self._logger is None:
            import logging

            self._logger = logging.getLogger(self.name)
        return self._logger

    def warning(self, msg: str, *args: Any) -> None:
        self._get().warning(msg, *args, stacklevel=2)

    def exception(self, msg: str, *args: Any) -> None:
        self._get().exception(msg, *args, stacklevel=2)
