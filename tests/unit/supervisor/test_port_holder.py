"""How `up` names the process holding a service's health port (pure text part)."""

from devctl.supervisor.plan import short_cmdline


def test_short_command_line_is_kept_whole():
    assert short_cmdline(["python3", "-m", "http.server"]) == "python3 -m http.server"


def test_long_command_line_is_marked_as_cut():
    """Regression: a long command line was cut silently and read as if it ended there."""
    argv = ["python3", "-c", "import socket; " * 20]
    text = short_cmdline(argv)
    assert len(text) == 80 and text.endswith("…")
    assert text[:-1] == " ".join(argv)[:79]
