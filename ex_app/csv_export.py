"""CSV files a French or English spreadsheet opens as they are.

Excel reads a CSV without a byte-order mark in the system's legacy code page (accents garbled) and
splits cells on the locale's list separator: ``;`` where the decimal mark is a comma (French), ``,``
in English. So: UTF-8 with a BOM, and the separator of the reader's language. Times are written as
the reader's spreadsheet types them (``30/11/2026 10:15`` in French, ``11/30/26 10:15 AM`` in
English: Babel's short date and time, which LibreOffice and Excel recognise as a date in that
locale), never ISO 8601, which a French spreadsheet keeps as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime

from babel.dates import format_date, format_time

from lib.core.audit import csv_cell

BOM = "\ufeff"
SEPARATORS = {"fr": ";"}


def separator(lang: str) -> str:
    return SEPARATORS.get(lang, ",")


def spreadsheet_time(value: datetime | str, lang: str) -> str:
    """A moment in UTC as the reader's spreadsheet reads a date and time ("" for "" or a non-date)."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    day, time = (
        format_date(moment, "short", locale=lang),
        format_time(moment, "short", tzinfo=UTC, locale=lang),
    )
    return _plain_spaces(f"{day} {time}")


def _plain_spaces(text: str) -> str:
    """CLDR writes "10:15\u202fAM" (a narrow no-break space), which a spreadsheet does not read as a time."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def spreadsheet_date(value: date | None, lang: str) -> str:
    """A day as the reader's spreadsheet reads it ("30/11/2026", "11/30/26"); "" for none."""
    return _plain_spaces(format_date(value, "short", locale=lang)) if value else ""


def csv_chunks(lang: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The file in pieces of about 64 kB (a long audit log is streamed, never held whole).

    Every text cell is defused (``csv_cell``): names, subjects and accounts come from people, and a
    cell starting with ``=`` would run as a formula in the reader's spreadsheet.
    """
    buf = io.StringIO()
    out = csv.writer(buf, delimiter=separator(lang))
    buf.write(BOM)
    out.writerow(header)
    for row in rows:
        out.writerow([csv_cell(cell) if isinstance(cell, str) else cell for cell in row])
        if buf.tell() > 65536:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
