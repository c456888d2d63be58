"""How validation findings read: grouped by plugin, code and message, then the hint."""

from devctl.cli.pipeline_cmds import finding_lines


def test_findings_grouped_by_plugin_in_first_seen_order():
    items = [
        {"plugin": "db", "code": "E_NO_PG", "message": "postgres is not running",
         "suggest": "brew services start"},
        {"plugin": "dotagent:env", "code": "E_PREFLIGHT", "message": "not set: DATABASE_URL"},
        {"plugin": "db", "code": None, "message": "disk is slow"},
    ]
    assert finding_lines(items) == [
        "db:",
        "  E_NO_PG: postgres is not running",
        "    hint: brew services start",
        "  disk is slow",
        "dotagent:env:",
        "  E_PREFLIGHT: not set: DATABASE_URL",
    ]
