"""Read Robot Framework's output files as text, the way a scan for personal data must.

``log.html`` and ``report.html`` keep most texts zlib-compressed and base64-encoded in
``window.output["strings"]``: a plain text search of the file misses them.
"""

from __future__ import annotations

import json
import re
import zlib
from base64 import b64decode
from pathlib import Path

_STRINGS = re.compile(r'window\.output\["strings"\] = window\.output\["strings"\]\.concat\((\[.*?\])\);')
_HEX_ESCAPE = re.compile(r"(?<!\\)\\x([0-9a-fA-F]{2})")


def html_log_strings(html: str) -> list[str]:
    """Every text stored in a Robot Framework log or report, decompressed."""
    texts: list[str] = []
    for chunk in _STRINGS.findall(html):
        # JavaScript, not quite JSON: "<" is written as \x3c so that no "</script>" ends the block.
        for item in json.loads(_HEX_ESCAPE.sub(r"\\u00\1", chunk)):
            if item.startswith("*"):
                texts.append(item[1:])
            else:
                texts.append(zlib.decompress(b64decode(item)).decode("utf-8", errors="replace"))
    if not texts:
        raise AssertionError("found no texts in a Robot Framework html file: its format changed")
    return texts


def readable_text(path: Path) -> str:
    """The file's text, with a log's or report's stored texts decompressed and appended."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix == ".html":
        text += "\n" + "\n".join(html_log_strings(text))
    return text
