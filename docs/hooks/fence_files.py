"""mkdocs hook: show the `file=PATH` / `add=PATH` fence markers as code block titles.

The tutorials mark their code blocks with the file each one writes (```python file=plugins/web.py)
so tests can run every block in order. Markdown does not know those words, and a fence whose
info string it cannot read is not rendered as code at all; this turns them into the titles
pymdownx.highlight draws above a block.
"""

import re

FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<ticks>```+)(?P<lang>[\w+-]+)[ \t]+(?P<kind>file|add)=(?P<path>\S+)[ \t]*$", re.M
)


def _title(match):
    path = match["path"]
    title = path if match["kind"] == "file" else f"{path} (add before plugin.run())"
    return f'{match["indent"]}{match["ticks"]}{match["lang"]} title="{title}"'


def on_page_markdown(markdown, page, config, files):
    return FENCE.sub(_title, markdown)
