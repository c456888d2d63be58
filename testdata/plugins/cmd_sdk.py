"""Fixture: a plugin written with devctl.sdk — config.mutate, launch.plan, a command, a stream.

`greet NAME [--shout] [--exit N] [--fail]` writes a greeting to stderr (and a stray print(), which the
SDK routes to stderr) and exits N. `count` streams `input.n` ticks (default 3); `input.fail`
makes it end with ok:false (code E_COUNT). `boom` raises a plain exception (E_INTERNAL), and
config.mutate with `input.config.fail_with` raises PluginFailure with that code.
conformance: pass
"""

from devctl.sdk import Plugin, PluginFailure, log

plugin = Plugin("cmd-sdk", side_effects="none", idempotent=True)


@plugin.op("config.mutate")
def mutate(req):
    if req.config.get("fail_with"):
        raise PluginFailure(req.config["fail_with"], "asked to fail")
    return {"config_patch": {"set": {"services.hello.port": 8089}, "unset": []}}


@plugin.op("launch.plan")
def plan(req):
    port = req.config.get("services", {}).get("hello", {}).get("port", 8089)
    return {"services": [{"name": "hello", "command": ["sleep", "30"], "env": {"PORT": str(port)}}]}


@plugin.op("boom")
def boom(req):
    raise RuntimeError("kaboom")


@plugin.command("greet", help="Greet someone: greet NAME [--shout] [--exit N]")
def greet(req):
    args = list(req.argv)
    if "--fail" in args:
        raise PluginFailure("E_GREET", "refused to greet")
    code = 0
    if "--exit" in args:
        i = args.index("--exit")
        code = int(args[i + 1])
        del args[i:i + 2]
    shout = "--shout" in args
    names = [a for a in args if not a.startswith("--")]
    text = f"hello, {' '.join(names) or 'world'}"
    print("stray print goes to stderr")
    log(text.upper() if shout else text)
    return code


@plugin.stream("count")
def count(req):
    n = int(req.input.get("n", 3))
    for i in range(n):
        yield {"event": "tick", "n": i}
    if req.input.get("fail"):
        raise PluginFailure("E_COUNT", f"failed after {n}")
    yield "done counting"


plugin.run()
