"""HTTP to Nextcloud as the ExApp: AppAPI headers, OCS envelopes, WebDAV, retries.

Headers and the ``format=json`` rule copy nc_py_api 0.30.3 (cloud-py-api/nc_py_api:nc_py_api/_session.py
``_ocs_regexp``, ``AsyncNcSessionApp._create_adapter``/``_add_auth``) and the recorded exchanges
(fixtures/groupfolders_api.json ``appapi_*``). Nothing here logs headers: they carry the app secret.
"""

from __future__ import annotations

import logging
import re
from base64 import b64encode
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from lib.settings import Settings

from .errors import NextcloudError, NextcloudUnavailable, NotFound

log = logging.getLogger(__name__)

# OCS routes and groupfolders' index.php routes answer JSON only when asked (nc_py_api _ocs_regexp).
_OCS_PATH = re.compile(r"/ocs/v[12]\.php/|/apps/groupfolders/")
_OCS_OK = (100, 200)  # v1 success is 100, v2 success is 200 (server OCS/V1Response.php, V2Response.php)
_NOT_FOUND = (404, 998)
_SABRE_MESSAGE = re.compile(r"<s:message>(.*?)</s:message>", re.S)


class _Transient(Exception):
    """A failure worth retrying: network error, timeout, 5xx."""

    def __init__(self, reason: str, http_status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.http_status = http_status


class AppAPIClient:
    """An ``httpx.AsyncClient`` speaking to Nextcloud as the ExApp, impersonating one user per call."""

    def __init__(
        self,
        base_url: str,
        *,
        app_id: str,
        app_version: str,
        app_secret: str,
        aa_version: str = "2.2.0",
        timeout: float = 10.0,
        attempts: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._secret = app_secret
        self._attempts = max(1, attempts)
        self._wait = wait_exponential(multiplier=backoff, max=max_backoff)
        # AppAPI reads AA-VERSION but does not check it; nc_py_api's default is "2.2.0" (_session.py).
        headers = {"AA-VERSION": aa_version, "EX-APP-ID": app_id, "EX-APP-VERSION": app_version}
        headers["OCS-APIRequest"] = "true"
        base = base_url.rstrip("/").removesuffix("/index.php")
        self._http = httpx.AsyncClient(base_url=base, timeout=timeout, headers=headers, transport=transport)

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> AppAPIClient:
        return cls(
            settings.nextcloud_url,
            app_id=settings.app_id,
            app_version=settings.app_version,
            app_secret=settings.app_secret,
            aa_version=str(getattr(settings, "aa_version", "2.2.0")),
            **kwargs,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AppAPIClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    def retrying(self, *transient: type[BaseException]) -> AsyncRetrying:
        """This client's retry policy, for callers that must re-check state between attempts."""
        return AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=self._wait,
            retry=retry_if_exception_type(transient),
            reraise=True,
        )

    async def ocs(
        self,
        method: str,
        path: str,
        *,
        user: str,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        json: Any = None,
        retry: bool = True,
    ) -> Any:
        """Call an OCS (or groupfolders) route; return ``ocs.data`` or raise a NextcloudError."""
        operation = f"{method} {path}"
        query, headers = dict(params or {}), {}
        if _OCS_PATH.search(path):
            query["format"], headers["Accept"] = "json", "application/json"
        response = await self._send(
            method, path, user=user, retry=retry, params=query, data=data, json=json, headers=headers
        )
        return ocs_data(operation, response)

    async def dav(
        self,
        method: str,
        path: str,
        *,
        user: str,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        retry: bool = True,
    ) -> httpx.Response:
        """Send a WebDAV request; the caller reads the status (207, 404...). 5xx after retries raise."""
        return await self._send(method, path, user=user, retry=retry, content=body, headers=headers or {})

    async def _send(self, method: str, path: str, *, user: str, retry: bool, **kwargs: Any) -> httpx.Response:
        kwargs["headers"] = {**kwargs["headers"], "AUTHORIZATION-APP-API": self._auth(user)}
        retrying = (
            self.retrying(_Transient) if retry else AsyncRetrying(stop=stop_after_attempt(1), reraise=True)
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._send_once(method, path, user, kwargs)
        except _Transient as exc:
            raise NextcloudUnavailable(f"{method} {path}", exc.http_status, None, exc.reason) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send_once(self, method: str, path: str, user: str, kwargs: dict[str, Any]) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            log.warning("Nextcloud %s %s as %s failed: %s", method, path, user, type(exc).__name__)
            raise _Transient(f"no answer ({type(exc).__name__})") from exc
        log.debug("Nextcloud %s %s as %s -> %s", method, path, user, response.status_code)
        if response.status_code >= 500:
            log.warning("Nextcloud %s %s as %s -> %s", method, path, user, response.status_code)
            raise _Transient(reason_of(response) or "server error", response.status_code)
        return response

    def _auth(self, user: str) -> str:
        return b64encode(f"{user}:{self._secret}".encode()).decode()


def ocs_data(operation: str, response: httpx.Response) -> Any:
    """Unwrap an OCS v1/v2 envelope, or turn groupfolders' plain ``{"message"}`` errors into errors."""
    status = response.status_code
    if status == 204:
        return None
    body = _json_or_none(response)
    ocs = body.get("ocs") if isinstance(body, dict) else None
    if isinstance(ocs, dict):
        meta = ocs.get("meta") or {}
        code = _int_or_none(meta.get("statuscode"))
        if status < 300 and code in _OCS_OK:
            return ocs.get("data")
        raise _error(operation, status, code, str(meta.get("message") or ""))
    if status >= 400:
        raise _error(operation, status, None, reason_of(response))
    raise NextcloudError(operation, status, None, "the answer is not an OCS envelope")


def reason_of(response: httpx.Response) -> str:
    """Nextcloud's own words: OCS meta message, groupfolders ``message``, or Sabre's ``s:message``."""
    body = _json_or_none(response)
    if isinstance(body, dict):
        ocs = body.get("ocs")
        if isinstance(ocs, dict):
            return str((ocs.get("meta") or {}).get("message") or "")
        return str(body.get("message") or "")
    found = _SABRE_MESSAGE.search(response.text or "")
    return found.group(1).strip() if found else ""


def _error(operation: str, status: int, code: int | None, message: str) -> NextcloudError:
    if status == 404 or code in _NOT_FOUND:
        return NotFound(operation, status, code, message or "not found")
    return NextcloudError(operation, status, code, message)


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
