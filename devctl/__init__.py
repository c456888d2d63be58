"""devctl: a dev-environment orchestrator driven by NDJSON plugins.

Kept import-free on purpose: `devctl --version` reads these constants without loading
anything else.
"""

__version__ = "0.1.0"

#: Plugin protocols this build speaks, shown by `devctl --version`.
PROTOCOLS = {"devctl": "v1", "dofek": "schema_version 1", "dotagent": "verbs info/validate/invoke"}
