"""Keep decision-link tokens out of the logs.

uvicorn's access log writes each request's path with its query (uvicorn/protocols/http/
h11_impl.py: ``'%s - "%s %s HTTP/%s" %d'`` with ``get_path_with_query_string(scope)``); a decision
link is ``/actions/approve/<id>?t=<token>``, and anyone reading that log could click it as the
operator it was sent to. httpx logs every URL it requests, the same way. The filter rewrites the
value of every ``t=`` and ``*token*=`` query parameter before any handler sees the record.
"""

from __future__ import annotations

import logging
import re

SECRET_PARAM = re.compile(r"([?&](?:t|[^=&\s\"]*token[^=&\s\"]*)=)[^&\s\"#]*", re.IGNORECASE)
REDACTED = "[redacted]"
LOGGERS = ("uvicorn.access", "uvicorn.error", "httpx")  # httpx logs every URL it requests at INFO


def redact(text: str) -> str:
    """``text`` with the values of its ``t`` and ``*token*`` query parameters replaced."""
    return SECRET_PARAM.sub(rf"\g<1>{REDACTED}", text)


def _redacted(arg: object) -> object:
    """A string (or an ``httpx.URL``: any object but a number) with its tokens redacted, as text."""
    if arg is None or isinstance(arg, int | float):
        return arg  # a %d argument stays a number
    text = str(arg)
    return redact(text) if SECRET_PARAM.search(text) else arg


class RedactTokens(logging.Filter):
    """Rewrites the message and arguments of a record; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _redacted(v) for k, v in record.args.items()}
        return True


def redact_server_logs() -> None:
    """Install the filter on uvicorn's loggers (once; uvicorn's dictConfig keeps a logger's filters)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
