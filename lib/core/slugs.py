"""The one rule for a working group's identifier: it names the group's Nextcloud groups and stays
the same for the group's whole life, so every entry point (file, form, request, adoption) checks it
with this rule and derives it from a name with this function."""

from __future__ import annotations

import re
import unicodedata

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")  # 1 to 40 characters, no dash at the ends
LONGEST = 40


def is_slug(value: str) -> bool:
    return SLUG.fullmatch(value) is not None


def slugify(text: str) -> str:
    """``Jardins partagés`` -> ``jardins-partages``; "" when the text has no letter or digit."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:LONGEST].strip("-")
