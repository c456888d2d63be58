"""Global options shared by every command, resolved lazily.

`devctl [-C DIR] [--config FILE] [--strict] [--dry-run] [--timeout S] [-v] COMMAND ...`
The root callback stores them in an `AppContext`; commands call `app_context(ctx)` and then
`load_config()` only if they need the config, so `status`/`logs`/`down` never parse YAML
they do not use.
"""

from __future__ import annotations

from pathlib import Path

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: every fast path reads its options here
if TYPE_CHECKING:
    from typing import Any

    from devctl.cli.global_options import GlobalArgs
    from devctl.config import Config


class AppContext:
    """The global options of one invocation, and its config once loaded.

    A plain class, not a dataclass: `dataclasses` imports `inspect` (~10-25 ms), and every fast
    command (`status`, `down`, plugin commands) builds one of these before doing anything."""

    __slots__ = ("repo_root_opt", "config_opt", "strict", "dry_run", "timeout", "verbose", "_config")

    def __init__(self, repo_root_opt: Path | None = None, config_opt: Path | None = None,
                 strict: bool = False, dry_run: bool = False, timeout: float = 30.0, verbose: int = 0,
                 _config: Config | None = None) -> None:
        self.repo_root_opt = repo_root_opt
        self.config_opt = config_opt
        self.strict = strict
        self.dry_run = dry_run
        self.timeout = timeout
        self.verbose = verbose
        self._config = _config

    def __repr__(self) -> str:
        return (f"AppContext(repo_root_opt={self.repo_root_opt!r}, config_opt={self.config_opt!r}, "
                f"strict={self.strict!r}, dry_run={self.dry_run!r}, timeout={self.timeout!r}, "
                f"verbose={self.verbose!r})")

    @classmethod
    def from_args(cls, args: GlobalArgs) -> AppContext:
        """The options as `main()` read them from its argv, before typer parsed them."""
        return cls(repo_root_opt=args.repo_root, config_opt=args.config, strict=args.strict,
                   dry_run=args.dry_run, timeout=30.0 if args.timeout is None else args.timeout,
                   verbose=args.verbose)

    def load_config(self) -> Config:
        """Find and parse `.devctl.yaml` (once). Raises ConfigError with file:line on bad input."""
        if self._config is None:
            from devctl.config import load_config

            self._config = load_config(repo_root=self.repo_root_opt, config_file=self.config_opt)
        return self._config

    def repo_root(self) -> Path:
        """The repo root without parsing the config: -C, else the nearest dir with `.devctl.yaml`,
        else the current directory (so `status`/`down` work in repos with no config at all)."""
        if self.repo_root_opt is not None:
            return self.repo_root_opt.resolve()
        from devctl.config import find_repo_root

        found = find_repo_root(Path.cwd())
        return found if found is not None else Path.cwd().resolve()

    def effective_strict(self) -> bool:
        return self.strict or self.load_config().strictness == "error"


def app_context(ctx: Any) -> AppContext:
    """The AppContext of this invocation (a default one when a command runs standalone)."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppContext):
        root.obj = AppContext()
    return root.obj
