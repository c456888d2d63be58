"""Every app drawn in a snapshot test runs without animation: the tabs' underline slides to the
new tab over 0.3 s, and a snapshot taken during the slide differs from one taken after it."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_animation(monkeypatch: pytest.MonkeyPatch) -> None:
    import textual.constants

    # Read by every App when it is built (App.animation_level), whichever test module builds it.
    monkeypatch.setattr(textual.constants, "TEXTUAL_ANIMATIONS", "none")
