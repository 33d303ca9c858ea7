"""What a reader of one language must not meet: English words on a French page (issue 15: "in both
languages"). The words are the app's own English ones, none of which is also a French word, so a
French page that shows one shows an untranslated sentence, whatever the page."""

from __future__ import annotations

import re

from babel.dates import format_date

_ENGLISH = re.compile(
    r"\b(the|and|of|to|is|with|your|request|requests|access|send|approve|approved|done|until|nothing|"
    r"people|person|group|groups|folder|folders|renewal|rename|changes|none|modify|consult|manage|"
    r"reader|contributor|facilitator|members|waiting|pending|applied|cancelled|explain|why|right|"
    r"january|february|march|april|may|june|july|august|september|october|november|december)\b",
    re.IGNORECASE,
)


def english_in(text: str) -> list[str]:
    """The English words in ``text`` (none is expected on a French page)."""
    return _ENGLISH.findall(text)


def day(value: object, lang: str) -> str:
    """A day as the reader's language writes it in sentences and tables ("5 décembre 2026")."""
    return format_date(value, format="long", locale=lang)  # type: ignore[arg-type]
