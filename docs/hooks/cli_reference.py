"""mkdocs hook: replace `<!-- devctl-cli-reference -->` with the generated CLI reference."""

from devctl.cli.reference import cli_reference_markdown

MARKER = "<!-- devctl-cli-reference -->"


def on_page_markdown(markdown, page, config, files):
    if MARKER in markdown:
        return markdown.replace(MARKER, cli_reference_markdown())
    return markdown
