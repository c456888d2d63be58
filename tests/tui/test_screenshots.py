"""docs/tui.md's screenshots: every picture it shows is in docs/img/ and is a screen exported by
Textual, and no screenshot lies there unused (mkdocs does not check image links)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "tui.md"
IMG = ROOT / "docs" / "img"


def test_every_screenshot_the_page_shows_is_there_and_none_is_unused() -> None:
    linked = set(re.findall(r"!\[[^\]]*\]\(img/([^)]+\.svg)\)", PAGE.read_text(encoding="utf-8")))
    assert linked, "docs/tui.md shows no screenshot"
    present = {p.name for p in IMG.glob("tui-*.svg")}
    missing, unused = linked - present, present - linked
    assert not missing, f"linked but missing (make them: python -m tests.tui.screenshots): {missing}"
    assert not unused, f"in docs/img but not shown on docs/tui.md: {unused}"
    for name in linked:
        svg = (IMG / name).read_text(encoding="utf-8")
        exported = svg.lstrip().startswith('<svg class="rich-terminal"')
        assert exported, f"{name} is not a screen exported by Textual"
