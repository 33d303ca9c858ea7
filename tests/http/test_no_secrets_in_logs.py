"""No secret, decision token, cookie or Authorization value reaches a log line or the console (issue 13.3).

Everything the process writes is captured: every log record of every logger (uvicorn's access log
included, at the level a deployment runs it) and what reaches the standard output and error
(nc_py_api used to ``print`` the real app secret on a failed authentication).
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from contextlib import closing

import httpx
import pytest

from ex_app.log_filters import redact
from tests.conftest import SECRET, RunningApp, appapi_headers

COOKIE = "oc_sessionPassphrase=cookie-value-5f1c9a"
BEARER = "Bearer bearer-value-77ad02"


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs() -> Iterator[Collect]:
    """Every record of every logger, the app's own from DEBUG, the servers' access logs switched on."""
    handler = Collect()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(), logging.getLogger("uvicorn.access"), logging.getLogger("uvicorn.error")]
    loggers += [logging.getLogger(n) for n in ("ex_app", "lib", "nc_py_api")]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger("uvicorn.access").setLevel(logging.INFO)
    for name in ("ex_app", "lib", "nc_py_api"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield handler
    for lg, level in saved:
        lg.removeHandler(handler)
        lg.setLevel(level)


def _links(app: RunningApp, uid: str) -> dict[str, str]:
    params = [n for n in app.standin.notifications if n.user == uid][-1].subject_params["rich_subject_params"]
    return {k: v["link"] for k, v in params.items() if "link" in v}


def _wrong(headers: dict[str, str], **changes: str) -> dict[str, str]:
    return {**headers, **changes}


def test_a_whole_session_leaves_no_secret_token_or_cookie_in_the_logs(
    demo: RunningApp, logs: Collect, capfd: pytest.CaptureFixture[str]
) -> None:
    url = demo.url
    good = appapi_headers("claire")
    wrong_secret = base64.b64encode(b"claire:not-the-secret").decode()
    attempts = [
        {},
        _wrong(good, **{"AUTHORIZATION-APP-API": wrong_secret}),
        _wrong(good, **{"EX-APP-ID": "another-app"}),
        _wrong(good, **{"AUTHORIZATION-APP-API": "%%% not base64"}),
        _wrong(good, **{"AUTHORIZATION-APP-API": base64.b64encode(SECRET.encode()).decode()}),  # no colon
    ]
    for headers in attempts:
        assert httpx.get(f"{url}/ui/groups", headers=headers).status_code == 401
    assert httpx.get(f"{url}/heartbeat").status_code == 200

    extra = {"Cookie": COOKIE, "Authorization": BEARER}
    with httpx.Client(base_url=url, headers={**good, **extra}, timeout=30) as claire:
        for page in ("/ui/groups", "/ui/groups/communication", "/ui/matrix", "/ui/audit", "/ui/requests"):
            assert claire.get(page).status_code == 200, page
    with demo.client("alice") as alice:
        asked = alice.post(
            "/ui/requests",
            data={"kind": "add_member", "group": "communication", "users": "nora", "role": "contributor",
                  "justification": "Joins the newsletter team"},
        )  # fmt: skip
        assert asked.status_code == 200
    links = _links(demo, "claire")
    tokens = {re.search(r"[?&]t=([^&]+)", link).group(1) for link in links.values() if "t=" in link}  # type: ignore[union-attr]
    assert len(tokens) == 2
    browser = httpx.Client(base_url=demo.standin.url, timeout=30)  # a click in Nextcloud, through the proxy
    with closing(browser):
        browser.get("/standin/login", params={"user": "claire"})
        assert browser.get(links["approve"]).status_code < 500
    with demo.client("claire") as claire:  # the same link straight to the app, replayed
        assert claire.get(links["approve"].split("/proxy/governance", 1)[1]).status_code < 500
        assert claire.get(links["reject"].split("/proxy/governance", 1)[1]).status_code < 500

    printed = capfd.readouterr()
    written = "\n".join([*logs.lines, printed.out, printed.err])
    assert "/actions/approve/" in written  # the access log was on: the clicks are there, without their token
    secrets = {
        "the app secret": SECRET,
        "a cookie value": COOKIE.split("=", 1)[1],
        "an Authorization value": BEARER.split()[1],
        "an AUTHORIZATION-APP-API value": good["AUTHORIZATION-APP-API"],
        "a wrong secret sent": wrong_secret,
        **{f"decision token {t[:6]}…": t for t in tokens},
    }
    leaked = [what for what, value in secrets.items() if value in written]
    assert leaked == [], f"found in the logs: {', '.join(leaked)}"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('1.2.3.4:5 - "GET /actions/approve/7?t=abc.def HTTP/1.1" 303',
         '1.2.3.4:5 - "GET /actions/approve/7?t=[redacted] HTTP/1.1" 303'),
        ("/x?a=1&t=abc&b=2", "/x?a=1&t=[redacted]&b=2"),
        ("/x?access_token=abc&Token=def", "/x?access_token=[redacted]&Token=[redacted]"),
        ("/x?at=1&tt=2", "/x?at=1&tt=2"),
    ],
)  # fmt: skip
def test_token_values_are_redacted_from_a_logged_path(line: str, expected: str) -> None:
    assert redact(line) == expected
