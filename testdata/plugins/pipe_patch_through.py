#!/usr/bin/env python3
"""A config patch that sets `db` to a string and then `db.port` through it: must fail."""

from pipe_lib import serve

serve("patch-through", {
    "config.mutate": lambda inp, ctx: {"config_patch": {"set": {"db.port": 5432, "db": "postgres"}}},
})
