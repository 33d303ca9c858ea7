"""CSV files a French or English spreadsheet opens as they are.

Excel reads a CSV without a byte-order mark in the system's legacy code page (accents garbled) and
splits cells on the locale's list separator: ``;`` where the decimal mark is a comma (French), ``,``
in English. So: UTF-8 with a BOM, and the separator of the reader's language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

BOM = "\ufeff"
SEPARATORS = {"fr": ";"}


def separator(lang: str) -> str:
    return SEPARATORS.get(lang, ",")


def csv_chunks(lang: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The file in pieces of about 64 kB (a long audit log is streamed, never held whole)."""
    buf = io.StringIO()
    out = csv.writer(buf, delimiter=separator(lang))
    buf.write(BOM)
    out.writerow(header)
    for row in rows:
        out.writerow(row)
        if buf.tell() > 65536:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
