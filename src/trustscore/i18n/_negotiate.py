"""Choosing the language from what a browser or a client asks for."""

from __future__ import annotations

from trustscore.i18n._catalogue import DEFAULT_LOCALE, LOCALES

__all__ = ["negotiate"]


def _ranked(header: str) -> list[str]:
    scored: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        for param in rest.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            scored.append((-quality, i, tag.strip()))
    return [tag for _, _, tag in sorted(scored)]


def negotiate(accept_language: str | None, *, requested: str | None = None) -> str:
    """The locale to answer in: ``requested`` if trustscore speaks it, else the best match of an
    ``Accept-Language`` header, else English.

    A bare language (``zh``) or a region trustscore lacks (``zh-SG``, ``zh-Hans``) takes the first
    locale of that language; matching ignores case.

    Examples
    --------
    >>> negotiate("en-GB,en;q=0.9")
    'en'
    >>> negotiate("zh;q=0.8, fr")
    'zh-CN'
    >>> negotiate("zh-CN", requested="en")
    'en'
    >>> negotiate(None)
    'en'
    """
    by_lower = {loc.lower(): loc for loc in LOCALES}
    wanted = ([requested] if requested else []) + _ranked(accept_language or "")
    for tag in wanted:
        tag = tag.lower().replace("_", "-")
        if tag in by_lower:
            return by_lower[tag]
        language = tag.split("-")[0]
        for loc in LOCALES:
            if loc.lower().split("-")[0] == language:
                return loc
    return DEFAULT_LOCALE
