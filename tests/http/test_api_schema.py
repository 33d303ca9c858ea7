"""The JSON/CSV API has an OpenAPI schema for logged-in users, and schemathesis finds no 5xx in it (issue 13).

schemathesis generates requests from the schema the app itself serves (valid ones and, in its
negative mode, invalid ones) and sends them, as the operations team through AppAPI's headers, to
the app running against the Nextcloud stand-in. Every answer must be below 500: a bad input gets a
sentence, never a crash. The figures (``schemathesis_cases``, ``schemathesis_5xx``) are written to
``$GOVERNANCE_PROVE_OUT`` when set: ``make prove`` adds them, under ``security``, to the
bench-results.json ``make bench`` wrote (run it after ``make bench``, which rewrites the file).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from fastapi.routing import iter_route_contexts
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from ex_app.main import API_SCHEMA_PATH
from tests.conftest import SECRET, RunningApp, appapi_headers

EXAMPLES = 100  # per operation and mode, at most: about 400 requests, some ten seconds


def test_the_api_schema_is_served_to_logged_in_users_only(demo: RunningApp) -> None:
    with httpx.Client(base_url=demo.url, timeout=30) as anonymous:
        assert anonymous.get(API_SCHEMA_PATH).status_code == 401
        wrong = appapi_headers("claire", secret=SECRET + "x")
        assert anonymous.get(API_SCHEMA_PATH, headers=wrong).status_code == 401
        appapi_itself = appapi_headers("")  # authenticated app, no Nextcloud user
        assert anonymous.get(API_SCHEMA_PATH, headers=appapi_itself).status_code == 401
    with demo.client("dave") as member:
        r = member.get(API_SCHEMA_PATH)
    assert r.status_code == 200
    paths = set(r.json()["paths"])
    api_routes = {c.path for c in iter_route_contexts(demo.app.routes) if (c.path or "").startswith("/api/")}
    assert paths == api_routes - {API_SCHEMA_PATH}, "every /api/ route is described, and only those"
    assert not any(p.startswith("/ui/") for p in paths)


def test_schemathesis_finds_no_server_error_in_the_api(demo: RunningApp) -> None:
    headers = appapi_headers("claire")
    schema = schemathesis.openapi.from_url(demo.url + API_SCHEMA_PATH, headers=headers)
    client = httpx.Client(timeout=30)
    cases = 0
    server_errors: list[str] = []
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(operation.as_strategy(generation_mode=mode))
            def send(case: schemathesis.Case) -> None:
                nonlocal cases
                cases += 1
                response = _send(client, case.as_transport_kwargs(base_url=demo.url, headers=headers))
                if response.status_code >= 500:
                    server_errors.append(f"{response.status_code} {case.method} {response.url}")

            try:
                send()
            except Unsatisfiable:  # no parameter to make invalid (e.g. the YAML export)
                assert mode is GenerationMode.NEGATIVE, operation.label
    client.close()
    seconds = time.monotonic() - started
    _report({"schemathesis_cases": cases, "schemathesis_5xx": len(server_errors)}, seconds)
    print(f"schemathesis: {cases} cases, {len(server_errors)} server errors, {seconds:.1f} s")
    assert cases >= len(operations) * 10
    assert not server_errors, "\n".join(server_errors[:10])


def _send(client: httpx.Client, request: dict[str, Any]) -> httpx.Response:
    """The request schemathesis built (its ``requests`` form), sent with httpx: schemathesis's own
    transport does not run on the urllib3 this project pins."""
    assert not request.get("cookies"), "the API takes no cookie parameter"
    body = {k: request[k] for k in ("json", "data", "files") if request.get(k) is not None}
    if "data" in body and isinstance(body["data"], (bytes, str)):
        body["content"] = body.pop("data")
    return client.request(
        request["method"], request["url"], headers=request.get("headers"), params=request.get("params"),
        **body,
    )  # fmt: skip


def _report(figures: dict[str, int], seconds: float) -> None:
    out = os.environ.get("GOVERNANCE_PROVE_OUT")
    if out:
        path = Path(out)
        known = json.loads(path.read_text()) if path.exists() else {}  # make bench's figures, by part
        known.setdefault("security", {}).update(figures, schemathesis_seconds=round(seconds, 1))
        path.write_text(json.dumps(known, indent=2, sort_keys=True) + "\n")
