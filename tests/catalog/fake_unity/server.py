"""Plain HTTP on 127.0.0.1, a bearer-token check, JSON in and out, one lock per request.

The SDK accepts ``host="http://127.0.0.1:<port>"`` with a personal access token, so no
certificate is needed. Before its first call, every new ``WorkspaceClient`` asks
``GET /.well-known/databricks-config`` (no token) for the workspace's id and cloud, and then
sends ``X-Databricks-Workspace-Id`` with each request; the fake answers that probe as a
workspace does. Anything else needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from tests.catalog.fake_unity.errors import (
    UnityError,
    endpoint_not_found,
    error_body,
    invalid_token,
    permission_denied,
    unauthenticated,
)
from tests.catalog.fake_unity.request_log import MutableRequestLog, RequestLogEntry
from tests.catalog.fake_unity.routes import ROUTES
from tests.catalog.fake_unity.routes.base import Request
from tests.catalog.fake_unity.seed import seed_from_dict, seed_from_lakehouse
from tests.catalog.fake_unity.state import ADMIN, DEFAULT_PRINCIPALS, UnityState

WELL_KNOWN = "/.well-known/databricks-config"


class FakeUnityCatalog:
    """A Unity Catalog workspace stand-in: seed it, start it, point ``WorkspaceClient`` at
    ``host`` with ``token``. ``state`` is the metastore, ``log`` every request."""

    def __init__(
        self,
        *,
        token: str = "dapi-fake-unity-0123456789abcdef",
        warehouse_id: str = "f4ce0000c0ffee01",
        admin: str = ADMIN,
        principals: frozenset[str] | set[str] = DEFAULT_PRINCIPALS,
        page_size: int = 50,
        wrong_token: Literal["invalid_token", "unauthenticated"] = "invalid_token",
    ) -> None:
        self.token = token
        self.warehouse_id = warehouse_id
        self.workspace_id = "1234567890123456"
        self.wrong_token = wrong_token
        self.state = UnityState(current_user=admin, principals=principals, page_size=page_size)
        self.log = MutableRequestLog()
        self._denied: dict[tuple[str, str], str] = {}
        self._failures: list[tuple[UnityError, int | None]] = []
        self._http: _FakeHttpServer | None = None

    # set-up ---------------------------------------------------------------------------
    @property
    def host(self) -> str:
        assert self._http is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    @property
    def page_size(self) -> int:
        return self.state.page_size

    @page_size.setter
    def page_size(self, size: int) -> None:
        """The server's page length (``max_results=0``, which the SDK's lists send)."""
        self.state.page_size = size

    def seed_from_lakehouse(self, lakehouse: Path, *, governance: bool = True) -> FakeUnityCatalog:
        with self.state.lock:
            seed_from_lakehouse(self.state, lakehouse, governance=governance)
        return self

    def seed_from_dict(self, catalogs: Mapping[str, Any]) -> FakeUnityCatalog:
        with self.state.lock:
            seed_from_dict(self.state, catalogs)
        return self

    def add_principals(self, *names: str) -> None:
        with self.state.lock:
            self.state.principals.update(names)

    # what the test switches on --------------------------------------------------------
    def deny(self, method: str, path: str, message: str | None = None) -> None:
        """Answer ``method path`` (exactly, no query string) with 403 PERMISSION_DENIED."""
        refusal = message or f"User does not have permission to {method.upper()} {path}."
        with self.state.lock:
            self._denied[(method.upper(), path)] = refusal

    def protect(self, *full_names: str) -> None:
        """The token may not change these securables: updates, drops, grants, tags, CREATE
        under them and COMMENT ON them are refused in Unity Catalog's words."""
        with self.state.lock:
            self.state.protected.update(name.lower() for name in full_names)

    def allow_all(self) -> None:
        with self.state.lock:
            self._denied.clear()
            self.state.protected.clear()

    def fail_next(
        self,
        status: int = 503,
        error_code: str = "TEMPORARILY_UNAVAILABLE",
        message: str = "The service is temporarily unavailable.",
        *,
        count: int = 1,
        retry_after: int | None = 0,
    ) -> None:
        """Refuse the next ``count`` API requests. The SDK retries 429 and 503 by itself
        (sleeping ``Retry-After`` plus up to a second each time); others reach the caller."""
        with self.state.lock:
            self._failures.extend([(UnityError(status, error_code, message), retry_after)] * count)

    # serving --------------------------------------------------------------------------
    def start(self) -> FakeUnityCatalog:
        self._http = _FakeHttpServer(self)
        threading.Thread(
            target=self._http.serve_forever, args=(0.05,), name="fake-unity-http", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None

    def __enter__(self) -> FakeUnityCatalog:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def workspace_client(self, **overrides: Any) -> Any:
        """A real ``WorkspaceClient`` for this fake (see ``client.workspace_client``)."""
        from tests.catalog.fake_unity.client import workspace_client

        return workspace_client(self.host, self.token, **overrides)

    def answer(
        self, method: str, target: str, authorization: str | None, raw_body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """One request: (status, extra headers, JSON body)."""
        split = urlsplit(target)
        path = unquote(split.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        body: dict[str, Any] = {}
        malformed: UnityError | None = None
        headers: dict[str, str] = {}
        try:
            body = _json_object(raw_body) if raw_body else {}
        except UnityError as error:
            malformed = error  # refused after the token check, as the workspace does
        try:
            reply = self._dispatch(method, path, query, body, authorization, malformed)
            status = 200
        except UnityError as error:
            status, headers, reply = error.status, error.headers, error_body(error)
        self.log.append(RequestLogEntry(method, path, query, body or None, status))
        return status, headers, reply

    def _dispatch(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: dict[str, Any],
        authorization: str | None,
        malformed: UnityError | None,
    ) -> dict[str, Any]:
        if method == "GET" and path == WELL_KNOWN:
            return {"oidc_endpoint": f"{self.host}/oidc", "workspace_id": self.workspace_id,
                    "cloud": "AWS"}  # fmt: skip
        if authorization != f"Bearer {self.token}":
            if self.wrong_token == "unauthenticated" or not authorization:
                raise unauthenticated()
            raise invalid_token()
        if malformed is not None:
            raise malformed
        with self.state.lock:
            if self._failures:
                failure, retry_after = self._failures.pop(0)
                if retry_after is not None:
                    failure.headers["Retry-After"] = str(retry_after)
                raise failure
            if (method, path) in self._denied:
                raise permission_denied(self._denied[(method, path)])
            for route in ROUTES:
                found = route.pattern.match(path)
                if found and route.method == method:
                    request = Request(method, path, query, body, self.state, self.warehouse_id)
                    return route.handler(request, **found.groupdict())
        raise endpoint_not_found(method, path)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise UnityError(
            400, "MALFORMED_REQUEST", f"Could not parse request object: {exc}"
        ) from None
    if not isinstance(parsed, dict):
        raise UnityError(400, "MALFORMED_REQUEST", "Could not parse request object: not an object")
    return parsed


class _FakeHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeUnityCatalog) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _FakeHttpServer
    protocol_version = "HTTP/1.1"  # keep-alive, as requests' connection pool expects

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, headers, reply = self.server.fake.answer(
            method, self.path, self.headers.get("Authorization"), raw
        )
        payload = json.dumps(reply).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # the tests read fake.log instead
        return
