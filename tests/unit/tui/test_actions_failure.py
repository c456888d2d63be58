"""`failure_reason`: the one line the dashboard shows for a failed `up`/`down` child."""

from devctl.tui.actions import failure_reason


def test_the_error_line_and_the_closing_hint_not_the_details_between():
    tail = ["error: no .devctl.yaml found in /r or any parent directory",
            *[f"  looked for /{'d/' * i}.devctl.yaml" for i in range(12)],
            "  create .devctl.yaml at your repo root"]
    assert failure_reason(tail, 2) == ("error: no .devctl.yaml found in /r or any parent directory"
                                       " | create .devctl.yaml at your repo root")


def test_the_last_error_line_alone_when_nothing_follows_it():
    assert failure_reason(["warning: x", "error: web failed"], 1) == "error: web failed"


def test_without_an_error_line_the_last_lines_or_the_exit_code():
    assert failure_reason(["a", "b", "c", "d"], 1) == "b | c | d"
    assert failure_reason([], 3) == "exit 3"
