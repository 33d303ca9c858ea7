"""French and English through Babel/gettext catalogues (ex_app/locale), chosen per request.

The page script sends the Nextcloud user's language (``<html lang>`` of the Nextcloud page) in
``X-Governance-Lang``; server-side work (notifications) uses the language Nextcloud stores for the user.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.support import NullTranslations, Translations

from lib.core.codes import MESSAGES, ORGANISATION_INVALID
from lib.core.orgfile_places import AT, AT_LINE, place

LOCALE_DIR = Path(__file__).parent / "locale"  # lib/locale/<lang>/LC_MESSAGES/messages.po
LANGUAGES = ("en", "fr")
DEFAULT = "en"


@cache
def translations(lang: str) -> NullTranslations:
    """Compiled catalogue for ``lang`` (``make translations`` builds the .mo files)."""
    return Translations.load(str(LOCALE_DIR), [lang], domain="messages")


def pick_language(explicit: str | None, accept_language: str | None) -> str:
    """First supported language from the explicit choice, then the Accept-Language header."""
    candidates: list[str] = []
    if explicit:
        candidates.append(explicit)
    for part in (accept_language or "").split(","):
        candidates.append(part.split(";")[0].strip())
    for c in candidates:
        base = c.lower().replace("_", "-").split("-")[0]
        if base in LANGUAGES:
            return base
    return DEFAULT


def gettext(lang: str, message: str, **params: object) -> str:
    text = translations(lang).ugettext(message)
    return text % params if params else text


def ngettext(lang: str, singular: str, plural: str, count: int, **params: object) -> str:
    """The form for ``count`` in ``lang`` ("1 membre", "7 membres"; French counts 0 and 1 as one)."""
    text = translations(lang).ungettext(singular, plural, count)
    return text % params if params else text


def error_text(lang: str, exc: Exception, names: Mapping[str, str] | None = None) -> str:
    """A core error as a sentence in the user's language, its names filled in after translating.

    The code's sentence (lib/core/codes.py, ``{name}`` placeholders) when the error carries every
    name it needs; else the error's own message id (``%(name)s`` placeholders, e.g.
    lib/core/request_checks.py); else its text if the catalogue has it. ``names`` turns account ids
    and group slugs into display names and group names; dates are written as the reader writes them.
    """

    raw = dict(getattr(exc, "params", {}))
    if getattr(exc, "code", "") == ORGANISATION_INVALID and "other" in raw:  # another place in the file
        raw["other"] = _place(lang, str(raw["other"]))
    params = {k: _shown(lang, v, names or {}) for k, v in raw.items()}
    template = MESSAGES.get(getattr(exc, "code", ""), "")
    if template:
        try:
            return gettext(lang, template).format(**params)
        except (KeyError, IndexError, ValueError):
            pass  # a generic code ("The request is not valid: {message}"): the error's own sentence
    own = getattr(exc, "template", "")
    if own and (params or gettext(lang, own) != own):
        try:
            return gettext(lang, own) % params if params else gettext(lang, own)
        except (KeyError, TypeError, ValueError):
            pass
    for text in (getattr(exc, "message", ""), getattr(exc, "reason", ""), str(exc)):
        if text and gettext(lang, text) != text:
            return gettext(lang, text)
    return getattr(exc, "message", "") or str(exc)


PEOPLE_PARAMS = ("by", "user")


def people_in(exc: Exception) -> set[str]:
    """The account ids an error names (``{by}``, ``{user}``): the page turns them into display names."""
    params = getattr(exc, "params", {})
    return {str(params[k]) for k in PEOPLE_PARAMS if params.get(k)}


def organisation_error(lang: str, exc: Exception, line: int | None = None) -> str:
    """An organisation file's error, saying where in words: "Membership 1 (group): there is no
    working group “nowhere”." (line ``line`` of the file when the reader knows it), never the
    data's path (``memberships[0].group``) a person editing the file would have to decode."""

    where = _place(lang, str(getattr(exc, "field", "")))
    error = error_text(lang, exc).rstrip(".")
    if line is None:
        text = gettext(lang, AT, place=where, error=error)
    else:
        text = gettext(lang, AT_LINE, place=where, line=line, error=error)
    return text[:1].upper() + text[1:]


def _place(lang: str, field: str) -> str:

    return say(lang, place(field))


def _shown(lang: str, value: object, names: Mapping[str, str]) -> str:
    if isinstance(value, datetime):
        return format_datetime(value, format="medium", locale=lang)
    if isinstance(value, date):
        return format_date(value, format="long", locale=lang)
    return names.get(str(value), str(value))


def say(lang: str, phrase: object) -> str:
    """A :class:`lib.core.wording.Phrase` in ``lang``: its parameters first, then the sentence."""
    message = getattr(phrase, "message", None)
    if message is None:
        return str(phrase)
    params = {k: say(lang, v) for k, v in getattr(phrase, "params", {}).items()}
    text = translations(lang).ugettext(message)
    return text % params if params else text
