"""The Statement Execution API: ``POST /api/2.0/sql/statements`` and its followers.

A statement runs at once, so the answer is always terminal: ``SUCCEEDED`` with an empty
``JSON_ARRAY`` manifest, or ``FAILED`` with ``status.error`` (``error_code`` BAD_REQUEST and
Databricks' message) and ``status.sql_state``, both in an HTTP 200. What is refused before
anything runs is an HTTP error: an unknown warehouse (404), a missing field or a
``wait_timeout`` other than 0s or 5s to 50s (400).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.catalog.fake_unity.errors import UnityError, invalid
from tests.catalog.fake_unity.routes.base import Request, RouteTable
from tests.catalog.fake_unity.warehouse import StatementFailed, run_statement

routes = RouteTable()
_WAIT = re.compile(r"(\d+)s")


@routes("POST", "/api/2.0/sql/statements")
def execute_statement(request: Request) -> dict[str, Any]:
    state = request.state
    warehouse_id = request.required("warehouse_id")
    statement = request.required("statement")
    wait = request.text("wait_timeout")
    if wait is not None:
        seconds = _WAIT.fullmatch(wait)
        if seconds is None or not (int(seconds[1]) == 0 or 5 <= int(seconds[1]) <= 50):
            raise invalid(f"Invalid wait_timeout '{wait}': it must be 0s, or between 5s and 50s.")
    if warehouse_id != request.warehouse_id:
        raise UnityError(
            404, "RESOURCE_DOES_NOT_EXIST", f"Warehouse '{warehouse_id}' does not exist."
        )
    statement_id = str(uuid.uuid4())
    catalog = request.text("catalog") or "main"
    schema = request.text("schema") or "default"
    try:
        run_statement(state, statement, catalog, schema)
    except StatementFailed as failure:
        answer: dict[str, Any] = {
            "statement_id": statement_id,
            "status": {
                "state": "FAILED",
                "error": {"error_code": "BAD_REQUEST", "message": failure.message},
                "sql_state": failure.sql_state,
            },
        }
    else:
        answer = {
            "statement_id": statement_id,
            "status": {"state": "SUCCEEDED"},
            "manifest": {
                "format": "JSON_ARRAY",
                "schema": {"column_count": 0},
                "total_chunk_count": 0,
                "total_row_count": 0,
                "truncated": False,
            },
        }
    state.statements[statement_id] = answer
    return answer


@routes("GET", "/api/2.0/sql/statements/{statement_id}")
def get_statement(request: Request, statement_id: str) -> dict[str, Any]:
    found = request.state.statements.get(statement_id)
    if found is None:
        raise UnityError(
            404, "RESOURCE_DOES_NOT_EXIST", f"Statement '{statement_id}' does not exist."
        )
    return found


@routes("POST", "/api/2.0/sql/statements/{statement_id}/cancel")
def cancel_statement(request: Request, statement_id: str) -> dict[str, Any]:
    get_statement(request, statement_id)
    return {}  # every statement here has already finished; cancelling one changes nothing
