"""The one list of dotagent event names, and the check of an `events` filter."""

from devctl.dotagent import events
from devctl.dotagent.events import INVOKE_EVENTS, NOTIFY_EVENTS, PREFLIGHT_EVENT, check_events


def test_event_filters():
    assert check_events(["success", "recovered"]) == []
    assert "unknown event" in check_events(["done"])[0]
    assert check_events("success") == ["must be a list of event names"]


def test_preflight_is_sent_but_never_subscribed_to():
    assert PREFLIGHT_EVENT in INVOKE_EVENTS and PREFLIGHT_EVENT not in NOTIFY_EVENTS
    assert check_events([PREFLIGHT_EVENT]) != []


def test_the_spec_order():
    assert NOTIFY_EVENTS == ("attempt_failed", "timed_out", "given_up", "recovered", "success")
    assert (*NOTIFY_EVENTS, "preflight") == INVOKE_EVENTS
    assert {events.ATTEMPT_FAILED, events.TIMED_OUT, events.GIVEN_UP, events.RECOVERED,
            events.SUCCESS} == set(NOTIFY_EVENTS)


def test_invoke_help_lists_the_same_events():
    """The CLI keeps its help text literal (it imports no devctl module at load); this pins it."""
    import typer.main

    from devctl.cli.dotagent_cmds import app

    invoke = typer.main.get_command(app).commands["invoke"]  # type: ignore[attr-defined]
    (event,) = [p for p in invoke.params if p.name == "event"]
    assert event.help == " | ".join(INVOKE_EVENTS) + "."
