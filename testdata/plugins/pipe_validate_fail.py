#!/usr/bin/env python3
"""validate.run says invalid, with one error and one warning."""

from pipe_lib import serve

serve("validate-fail", {
    "validate.run": lambda inp, ctx: {
        "valid": False,
        "errors": [{"code": "E_MISSING_TOOL", "message": "missing tools: pnpm, docker"}],
        "warnings": [{"code": "W_OLD_NODE", "message": "node 16 is old"}],
    },
})
