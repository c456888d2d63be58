"""`devctl doctor`: one report on everything devctl depends on in this repo.

1. the config: `.devctl.yaml` loads (every problem with file:line);
2. the devctl plugins: each enabled plugin starts and sends a valid handshake (then is closed);
3. the plan: when every plugin started, `config.mutate` and `launch.plan` run (dry run, as
   `devctl plan --dry-run` would) and two plugins planning the same service name is reported —
   one silently replaces the other (a warning; an error under `strictness: error` / `--strict`,
   where `up` refuses it);
4. the dotagent plugins that `.devctl.yaml` uses (`preflight:`, `notifiers:`): they resolve,
   `info` is valid and the kind fits, the platform is supported, the config passes the
   schema and `validate`.

Warnings do not fail. Exit 0 when there is no error, 1 when a plugin check failed, 2 when
the config itself does not load (nothing else can then be checked).
"""

from __future__ import annotations

from typing import Any

import typer


def doctor(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the whole report as JSON on stdout."),
) -> None:
    """Check the config, every plugin's handshake and the dotagent plugins it uses, in one report.

    Exit codes: 0 healthy (warnings allowed), 1 a check failed, 2 the config does not load.
    """
    from devctl.cli.context import app_context
    from devctl.cli.output import spinner
    from devctl.errors import EXIT_FAILED, EXIT_USAGE, ConfigError

    actx = app_context(ctx)
    report: dict[str, Any] = {"config": None, "plugins": [], "plan": None,
                              "dotagent": {"uses": [], "findings": []}}
    try:
        cfg = actx.load_config()
    except ConfigError as exc:
        report["config"] = {"ok": False, "error": exc.message, "details": exc.details}
        report["ok"] = False
        _emit(report, json_out)
        raise typer.Exit(EXIT_USAGE) from None
    report["config"] = {
        "ok": True, "path": str(cfg.path) if cfg.path else None, "repo_root": str(cfg.repo_root),
        "plugins": len(cfg.plugins), "disabled": len(cfg.all_plugins) - len(cfg.plugins),
        "strictness": cfg.strictness, "preflight": len(cfg.preflight), "notifiers": len(cfg.notifiers),
    }
    with spinner("checking plugins…"):
        report["plugins"] = _handshakes(cfg)
        if all(p["ok"] for p in report["plugins"]):
            report["plan"] = _plan(cfg, strict=actx.effective_strict(), timeout=actx.timeout)
        report["dotagent"] = _dotagent(cfg)
    failed = any(not p["ok"] for p in report["plugins"]) or any(
        f["severity"] == "error" for f in report["dotagent"]["findings"]) or _plan_errors(report["plan"]) > 0
    report["ok"] = not failed
    _emit(report, json_out)
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _handshakes(cfg: Any) -> list[dict[str, Any]]:
    """Start every enabled plugin at once, each on its own (one broken plugin must not hide the
    others), read its handshake, close them all."""
    from devctl.plugins import PluginClient, close_all, start_plugins
    from devctl.plugins.launch import report_left_over

    specs = list(cfg.plugins)
    started = start_plugins(specs, cfg.repo_root)
    clients = [item for item in started if isinstance(item, PluginClient)]
    rows: list[dict[str, Any]] = []
    try:
        for spec, item in zip(specs, started, strict=True):
            row: dict[str, Any] = {"id": spec.id, "path": spec.path, "ok": False}
            if isinstance(item, PluginClient):
                hs = item.handshake
                row.update(ok=True, name=hs.get("plugin_name"), protocol=hs.get("protocol_version"),
                           ops=sorted(item.ops), streams=sorted(item.streams))
            else:
                row.update(error=item.message, details=list(item.details))
            rows.append(row)
    finally:
        close_all(clients)
    report_left_over(clients, strict=False)  # junk from an idle plugin: logged, as at any start
    return rows


def _plan(cfg: Any, *, strict: bool, timeout: float) -> dict[str, Any]:
    """Run config.mutate and launch.plan (dry run, never strict: every collision is listed, not
    just the first) and report the service names that more than one plugin plans."""
    from devctl.errors import DevctlError
    from devctl.pipeline import PipelineOptions, run_pipeline

    opts = PipelineOptions(phases=("config.mutate", "launch.plan"), dry_run=True, timeout=timeout)
    try:
        result = run_pipeline(cfg, opts)
    except DevctlError as exc:
        return {"ok": False, "error": exc.message, "details": list(exc.details), "collisions": []}
    severity = "error" if strict else "warning"
    collisions = [{**c, "severity": severity} for c in result.collisions if c["kind"] == "service"]
    return {"ok": not (strict and collisions), "services": len(result.services), "collisions": collisions}


def _plan_errors(plan: dict[str, Any] | None) -> int:
    if plan is None:
        return 0
    if "error" in plan:
        return 1
    return sum(c["severity"] == "error" for c in plan["collisions"])


def _dotagent(cfg: Any) -> dict[str, Any]:
    from devctl.dotagent import doctor

    uses, findings = doctor.config_uses(cfg)
    rows, more = doctor.run_doctor(uses)
    return {"uses": rows, "findings": [f.to_json() for f in findings + more]}


def _emit(report: dict[str, Any], json_out: bool) -> None:
    from rich.markup import escape

    from devctl.cli.output import err, out, print_json

    if json_out:
        print_json(report)
        return
    c = out()
    conf = report["config"]
    if not conf["ok"]:
        c.print(f"[red]FAIL[/red] config: {escape(conf['error'])}")
        for d in conf["details"]:
            c.print(f"       [dim]{escape(d)}[/dim]")
        return
    where = conf["path"] or f"{conf['repo_root']} (no .devctl.yaml; discovered plugins only)"
    c.print(f"[green]ok[/green]   config: {escape(where)} — {conf['plugins']} plugin(s)"
            + (f", {conf['disabled']} disabled" if conf["disabled"] else ""))
    for p in report["plugins"]:
        if p["ok"]:
            ops = ", ".join(p["ops"]) or "no ops"
            c.print(f"[green]ok[/green]   plugin {escape(p['id'])}: {escape(str(p['name']))} "
                    f"({escape(str(p['protocol']))}): {escape(ops)}")
        else:
            c.print(f"[red]FAIL[/red] plugin {escape(p['id'])}: {escape(p['error'])}")
            for d in p.get("details", []):
                c.print(f"       [dim]{escape(d)}[/dim]")
    _emit_plan(c, report["plan"])
    da = report["dotagent"]
    for u in da["uses"]:
        mark = "[green]ok[/green]  " if u["ok"] else "[red]FAIL[/red]"
        ver = f" {u['version']}" if u["version"] else ""
        c.print(f"{mark} dotagent {escape(u['where'])}: {escape(u['plugin'])}{escape(ver)} as {u['kind']}")
    for f in da["findings"]:
        style = "red" if f["severity"] == "error" else "yellow"
        c.print(f"     [{style}]{f['severity']}[/{style}] {escape(f['where'])}: {escape(f['plugin'])}: "
                f"{escape(f['message'])}")
        for d in f["details"]:
            c.print(f"       [dim]{escape(d)}[/dim]")
    plan = report["plan"] or {"collisions": []}
    errors = sum(not p["ok"] for p in report["plugins"]) + sum(
        f["severity"] == "error" for f in da["findings"]) + _plan_errors(report["plan"])
    warnings = sum(f["severity"] == "warning" for f in da["findings"]) + sum(
        c["severity"] == "warning" for c in plan["collisions"])
    style = "red" if errors else ("yellow" if warnings else "green")
    err().print(f"[{style}]doctor: {errors} error(s), {warnings} warning(s)[/{style}]")


def _emit_plan(c: Any, plan: dict[str, Any] | None) -> None:
    from rich.markup import escape

    if plan is None:  # a plugin did not start: the plan cannot run
        return
    if "error" in plan:
        c.print(f"[red]FAIL[/red] plan: {escape(plan['error'])}")
        for d in plan["details"]:
            c.print(f"       [dim]{escape(d)}[/dim]")
        return
    mark = "[green]ok[/green]  " if not plan["collisions"] else (
        "[red]FAIL[/red]" if not plan["ok"] else "[yellow]warn[/yellow]")
    c.print(f"{mark} plan: {plan['services']} service(s)")
    for col in plan["collisions"]:
        first, winner = col["plugins"]
        style = "red" if col["severity"] == "error" else "yellow"
        who = f"plugins {first!r} and {winner!r}" if first != winner else f"plugin {first!r} twice"
        outcome = ("refused: --strict / strictness: error" if col["severity"] == "error"
                   else f"the one from {winner!r} replaces the other")
        name = escape(repr(col["name"]))
        c.print(f"     [{style}]{col['severity']}[/{style}] service {name} is planned by {escape(who)} "
                f"({escape(outcome)}); rename one")
