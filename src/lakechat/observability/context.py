"""The id of the request being served, visible to logs and errors anywhere below the API."""

from __future__ import annotations

import os
import re
from contextvars import ContextVar

current_request_id: ContextVar[str] = ContextVar("lakechat_request_id", default="-")

#: What we accept from a client's X-Request-ID; anything else gets a fresh id.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def new_request_id() -> str:
    return os.urandom(16).hex()


def accept_request_id(incoming: str | None) -> str:
    """Keep a caller's request id when it is safe to echo and log; otherwise make one."""
    if incoming and _SAFE_REQUEST_ID.match(incoming):
        return incoming
    return new_request_id()
