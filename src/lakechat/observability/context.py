"""The id of the request being served, visible to logs and errors anywhere below the API."""

from __future__ import annotations

import itertools
import os
import re
from contextvars import ContextVar

current_request_id: ContextVar[str] = ContextVar("lakechat_request_id", default="-")

#: What we accept from a client's X-Request-ID; anything else gets a fresh id.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


#: A random prefix per process plus a counter: unique across workers and restarts, and
#: no system call per request (os.urandom for every id cost 4% of a busy server).
_ID_PREFIX = os.urandom(8).hex()
_ID_COUNTER = itertools.count()


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


def accept_request_id(incoming: str | None) -> str:
    """Keep a caller's request id when it is safe to echo and log; otherwise make one."""
    if incoming and _SAFE_REQUEST_ID.match(incoming):
        return incoming
    return new_request_id()
