#!/usr/bin/env python3
"""Only config.mutate: sets `web.port` to its argument, as a plugin that computes ports would.

Usage: pipe_config_port.py PORT. It plans nothing: the services that use the port are declared
in `.devctl.yaml` (`${config.web.port}`), tests/integration/test_declared_services.py.
"""

import sys

from pipe_lib import serve

port = int(sys.argv[1])
serve("config-port", {
    "config.mutate": lambda inp, ctx: {"config_patch": {"set": {"web.port": port, "web.host": "127.0.0.1"}}},
})
