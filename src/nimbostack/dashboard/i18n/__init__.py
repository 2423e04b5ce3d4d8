"""Translations of the dashboard's text: English (the source) and Korean.

Message catalogs live in ``i18n/<lang>/LC_MESSAGES/dashboard.po`` and are compiled to
``dashboard.mo`` beside them, which is committed so an install needs no build step;
``scripts/dashboard_messages.py`` extracts, updates and compiles them, and a unit test
checks the committed ``.mo`` files match their ``.po``. The language of a request is
the ``nimbo_lang`` cookie if set, else the best match of Accept-Language.
"""

from __future__ import annotations

import contextvars
import gettext
from functools import cache
from pathlib import Path

DOMAIN = "dashboard"
LANGUAGES = {"en": "English", "ko": "한국어"}
DEFAULT = "en"
COOKIE = "nimbo_lang"
DIRECTORY = Path(__file__).parent

_SOURCE = gettext.NullTranslations()  # English: the messages as written
_current: contextvars.ContextVar[gettext.NullTranslations] = contextvars.ContextVar(
    "dashboard_translations", default=_SOURCE
)


@cache
def translations(language: str) -> gettext.NullTranslations:
    if language == DEFAULT:
        return _SOURCE
    return gettext.translation(DOMAIN, DIRECTORY, languages=[language], fallback=True)


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language to answer in: the cookie's, else the first accepted one we have."""
    if cookie in LANGUAGES:
        return str(cookie)
    ranked: list[tuple[float, str]] = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((quality, tag.split("-")[0].lower()))
    for _quality, tag in sorted(ranked, key=lambda item: -item[0]):
        if tag in LANGUAGES:
            return tag
    return DEFAULT


def activate(language: str) -> contextvars.Token[gettext.NullTranslations]:
    """Use ``language`` for the text rendered in the current context."""
    return _current.set(translations(language))


def deactivate(token: contextvars.Token[gettext.NullTranslations]) -> None:
    _current.reset(token)


def gettext_(message: str) -> str:
    return _current.get().gettext(message)


def ngettext_(singular: str, plural: str, n: int) -> str:
    return _current.get().ngettext(singular, plural, n)


_ = gettext_
