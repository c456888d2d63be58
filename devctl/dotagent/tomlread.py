"""Read an agent manifest's TOML as upstream dotagent does: TOML 1.1.

Upstream's own docs write multi-line inline tables (`config = {` … `}` over several lines),
which TOML 1.1 allows and the standard library's `tomllib` before Python 3.15 refuses. Tomli
2.4+ is the same parser as `tomllib`, one TOML version ahead, so errors read the same
("… (at line N, column M)"). On 3.15+ the standard library reads TOML 1.1 itself.
"""

from __future__ import annotations

import sys
from typing import Any

if sys.version_info >= (3, 15):
    import tomllib as _toml
else:
    import tomli as _toml

#: Raised for a document that is not valid TOML 1.1; its message ends with the position.
TOMLDecodeError = _toml.TOMLDecodeError


def loads(text: str) -> dict[str, Any]:
    """Parse a TOML 1.1 document."""
    return _toml.loads(text)
