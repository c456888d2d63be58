"""Reading service logs (devctl/supervisor/logs.py): which services "all" means."""

from __future__ import annotations

from devctl.supervisor.logs import services_with_logs


def test_all_services_are_the_known_ones_in_order_then_any_with_log_files(tmp_path):
    logs = tmp_path / "logs"
    assert services_with_logs(logs, ["web", "db"]) == ["web", "db"]  # no log directory yet
    logs.mkdir()
    for name in ("db.stdout.log", "old.stderr.log", "zed.stdout.log.1", "a.b.stdout.log", "notes.txt"):
        (logs / name).write_text("")
    # The supervisor's order first; then others by name (a dotted name keeps its dots); an old
    # generation alone or another file is not a service's log.
    assert services_with_logs(logs, ["web", "db", "web"]) == ["web", "db", "a.b", "old"]
