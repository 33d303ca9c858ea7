"""AppAPI proxy routes: how an ExApp's routes are read from info.xml and matched, per app_api version.

Two matchers, both recorded live on Nextcloud 32.0.1 (NEXTCLOUD.md §1.1):

* ``"32.0.0"``: app_api as shipped with Nextcloud 32.0.1 (tags v32.0.0–v32.0.9, v33.0.0–v33.0.3),
  nextcloud/app_api v32.0.1 lib/Controller/ExAppProxyController.php ``passesExAppProxyRoutesChecks``:
  ``preg_match('/' . url . '/i', path)`` on the path without its leading slash; the access level is part
  of the loop condition, so a route failing its level falls through to the next one
  (fixtures/appapi_route_matching.json).
* ``"32.0.10"``: v32.0.10 and later (stable33 from v33.0.4, stable34, main): ``~^(?:url)~i`` on
  ``'/' . path``, then on the bare path (the deprecated fallback, logged at debug level); the first
  route matching path and verb decides, with no fall-through (fixtures/appapi_route_matching_v32_0_10.json).

PHP patterns carry their delimiters: ``php_preg_match`` reads them the way PHP does, so a url with an
unescaped ``/`` inside ``/…/i`` yields "Unknown modifier" and no match, exactly as recorded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

from lxml import etree

logger = logging.getLogger(__name__)

# (url regex, verb list as registered, access level 0 PUBLIC / 1 USER / 2 ADMIN)
Route = tuple[str, str, int]
MATCHERS = ("32.0.0", "32.0.10")
# ExAppService::mapExAppRouteAccessLevelNameToNumber (app_api v32.0.1)
LEVELS = {"PUBLIC": 0, "USER": 1, "ADMIN": 2}
# Modifiers PHP accepts (ext/pcre/php_pcre.c pcre_get_compiled_regex_cache_ex) and their Python flags;
# the ones Python has no equivalent for are refused rather than silently ignored.
FLAGS = {"i": re.I, "m": re.M, "s": re.S, "x": re.X, "u": 0, "D": 0}
UNMODELLED = set("AUXJSn")
BRACKETS = {"(": ")", "[": "]", "{": "}", "<": ">"}


class PatternError(ValueError):
    """PHP refuses the pattern: preg_match warns and returns false (the route never matches)."""


def split_php_pattern(pattern: str) -> tuple[str, int]:
    """The regex body and Python flags of a delimited PHP pattern, read as PHP reads it.

    PHP takes the first character as the delimiter and ends the pattern at the next one not escaped by a
    backslash; whatever follows must be modifiers. So ``/^/ui/.*/i`` is the pattern ``^`` followed by the
    modifiers ``ui/.*/i``: "Unknown modifier '/'", as logged in appapi_route_matching.json.
    """
    text = pattern.lstrip()
    if not text or text[0].isalnum() or text[0] == "\\":
        raise PatternError("Delimiter must not be alphanumeric, backslash, or NUL")
    opening = text[0]
    closing = BRACKETS.get(opening, opening)
    depth, i = 1, 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            i += 2
            continue
        if char == closing and opening != closing:
            depth -= 1
        elif char == opening and opening != closing:
            depth += 1
        elif char == closing:
            depth = 0
        if depth == 0:
            break
        i += 1
    else:
        raise PatternError(f"No ending delimiter '{closing}' found")
    flags = 0
    for modifier in text[i + 1 :]:
        if modifier in " \n\r":
            continue
        if modifier in UNMODELLED:
            raise NotImplementedError(f"PCRE modifier {modifier!r} is not modelled by the stand-in")
        if modifier not in FLAGS:
            raise PatternError(f"Unknown modifier '{modifier}'")
        flags |= FLAGS[modifier]
    return text[1:i], flags


def php_preg_match(pattern: str, subject: str) -> bool:
    """``preg_match($pattern, $subject) === 1``; an invalid pattern logs PHP's warning and is no match."""
    try:
        body, flags = split_php_pattern(pattern)
        return re.search(body, subject, flags) is not None
    except (PatternError, re.error) as exc:  # re.error: PCRE syntax Python lacks counts as invalid too
        logger.warning("preg_match(): %s (pattern %r)", exc, pattern)
        return False


def find_route_32_0_0(
    routes: list[Route], path: str, method: str, allowed: Callable[[int], bool]
) -> Route | None:
    """app_api v32.0.1 ``passesExAppProxyRoutesChecks``: path, verb and level in one condition."""
    for route in routes:
        url, verbs, level = route
        if php_preg_match(f"/{url}/i", path) and method.lower() in verbs.lower() and allowed(level):
            return route
    return None


def find_route_32_0_10(
    routes: list[Route], path: str, method: str, allowed: Callable[[int], bool]
) -> Route | None:
    """app_api v32.0.10 ``passesExAppProxyRoutesChecks``: first path+verb match decides its level."""
    for route in routes:
        url, verbs, level = route
        pattern = "~^(?:" + url.replace("~", "\\~") + ")~i"
        matched = php_preg_match(pattern, "/" + path)
        if not matched and php_preg_match(pattern, path):
            logger.debug("ExApp matched route %r via legacy bare-path fallback for %r", url, "/" + path)
            matched = True
        if matched and method.lower() in verbs.lower():
            return route if allowed(level) else None
    return None


def find_route(
    app_api: str, routes: list[Route], path: str, method: str, allowed: Callable[[int], bool]
) -> Route | None:
    """The route that lets ``method path`` through (path without its leading slash), else None → 404."""
    if app_api == "32.0.0":
        return find_route_32_0_0(routes, path, method, allowed)
    if app_api == "32.0.10":
        return find_route_32_0_10(routes, path, method, allowed)
    raise ValueError(f"unknown app_api matcher {app_api!r}; choose one of {MATCHERS}")


def routes_from_info_xml(path: Path) -> list[Route]:
    """The routes AppAPI stores when registering from info.xml (``occ app_api:app:register --info-xml``).

    app_api v32.0.1 lib/Service/ExAppService.php ``getAppInfo``: element texts taken as they are,
    ``access_level`` names mapped to numbers; a route with an unknown level is logged and not stored.
    """
    root = etree.parse(str(path)).getroot()
    routes: list[Route] = []
    for element in root.iterfind("external-app/routes/route"):
        url, verb = element.findtext("url") or "", element.findtext("verb") or ""
        level = LEVELS.get(element.findtext("access_level") or "", -1)
        if level == -1:
            logger.error("Invalid access level for route %r in %s", url, path)
            continue
        routes.append((url, verb, level))
    return routes
