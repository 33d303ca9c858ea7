"""French and English through Babel/gettext catalogues (ex_app/locale), chosen per request.

The page script sends the Nextcloud user's language (``<html lang>`` of the Nextcloud page) in
``X-Governance-Lang``; server-side work (notifications) uses the language Nextcloud stores for the user.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

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


def error_text(lang: str, exc: Exception) -> str:
    """A core error in the user's language: its own text if translated, else its code's message."""
    from lib.core.codes import MESSAGES

    for text in (getattr(exc, "message", ""), getattr(exc, "reason", ""), str(exc)):
        if text and gettext(lang, text) != text:
            return gettext(lang, text)
    code = getattr(exc, "code", "")
    template = MESSAGES.get(code, "")
    if template and "{" not in template:
        return gettext(lang, template)
    return getattr(exc, "message", "") or str(exc)


def say(lang: str, phrase: object) -> str:
    """A :class:`lib.core.wording.Phrase` in ``lang``: its parameters first, then the sentence."""
    message = getattr(phrase, "message", None)
    if message is None:
        return str(phrase)
    params = {k: say(lang, v) for k, v in getattr(phrase, "params", {}).items()}
    text = translations(lang).ugettext(message)
    return text % params if params else text
