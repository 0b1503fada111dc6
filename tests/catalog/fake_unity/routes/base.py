"""What a route gets (a parsed request) and the pieces every area shares: the route table
and Unity Catalog's pagination.

Pagination works as the SDK's docstrings describe the server: ``max_results`` absent means
every item at once (the old, unpaginated call); 0 means a page of the server's size; more
than 0 means at most that many, never more than the server's size; less than 0 is an
invalid parameter. A page that is not the last carries ``next_page_token``, an opaque
string the client sends back as ``page_token``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tests.catalog.fake_unity.errors import invalid
from tests.catalog.fake_unity.state import UnityState

T = TypeVar("T")
Handler = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    state: UnityState
    warehouse_id: str

    def flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() == "true"

    def integer(self, name: str) -> int | None:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return None
        try:
            return int(raw)
        except ValueError:
            raise invalid(f"Invalid value for {name}: '{raw}' is not an integer.") from None

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.body.get(name)
        if value is None and required:
            raise invalid(f"Missing required field: {name}")
        if value is not None and not isinstance(value, str):
            raise invalid(f"Invalid value for {name}: expected a string.")
        return value

    def required(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class RouteTable:
    """Routes of one area, declared with ``@routes("GET", "/api/2.1/.../{name}")``."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def __call__(self, method: str, template: str) -> Callable[[Handler], Handler]:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, re.compile(regex + "$"), handler))
            return handler

        return register


def paginate(
    request: Request,
    items: Sequence[T],
    key: Callable[[T], str],
    *,
    limit_param: str = "max_results",
    everything_without_limit: bool = True,
    smallest_page: int = 1,
) -> tuple[list[T], str | None]:
    """One page of ``items`` (sorted by ``key``) and the token of the next, if any."""
    limit = request.integer(limit_param)
    ordered = sorted(items, key=key)
    if limit is None and everything_without_limit:
        return ordered, None
    if limit is not None and limit < 0:
        raise invalid(f"{limit_param} must be greater than or equal to 0.")
    if limit is not None and 0 < limit < smallest_page:
        raise invalid(f"{limit_param} must be 0 or at least {smallest_page}.")
    size = min(limit, request.state.page_size) if limit else request.state.page_size
    token = request.query.get("page_token")
    if token:
        after = _decode(token)
        ordered = [item for item in ordered if key(item) > after]
    if len(ordered) <= size:
        return ordered, None
    return ordered[:size], _encode(key(ordered[size - 1]))


def with_page(body: dict[str, Any], next_token: str | None) -> dict[str, Any]:
    if next_token:
        body["next_page_token"] = next_token
    return body


def _encode(after: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()


def _decode(token: str) -> str:
    try:
        after = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise invalid(f"Invalid page_token: '{token}'.") from None
    if not isinstance(after, str):
        raise invalid(f"Invalid page_token: '{token}'.")
    return after
