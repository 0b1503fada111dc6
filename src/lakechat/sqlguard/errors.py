"""The guard's refusals: each a stable ``guard.*`` code and a message a person understands."""

from __future__ import annotations

from lakechat.errors import BadRequest, PermissionDenied


class GuardParseError(BadRequest):
    """The statement is not valid SQL in the warehouse's dialect."""

    code = "guard.parse_error"


class GuardMultipleStatements(BadRequest):
    """More than one statement was sent."""

    code = "guard.multiple_statements"


class GuardWriteNotAllowed(BadRequest):
    """The statement writes, changes settings or is not a read-only query."""

    code = "guard.write_not_allowed"


class GuardFunctionNotAllowed(BadRequest):
    """The statement calls a function that reads files, the network, secrets or settings."""

    code = "guard.function_not_allowed"


class GuardTableNotAllowed(PermissionDenied):
    """The statement reads a table outside the caller's allow-list."""

    code = "guard.table_not_allowed"
