"""Grants: ``/api/2.1/unity-catalog/permissions/{securable_type}/{full_name}``.

GET answers ``GetPermissionsResponse`` (the grants made on the securable itself, not the
inherited ones); ``GrantsAPI.get`` sends no ``max_results`` unless asked, which means every
assignment at once, and between 1 and 149 is refused (a page must hold at least one whole
assignment). ``principal`` narrows the answer to one principal. PATCH applies
``changes: [{principal, add, remove}]`` all or nothing and answers every assignment, unless
``omit_permissions_in_response``. ``GrantsAPI.list`` reads the paginated twin,
``/privilege-assignments/...``, which pages by ``page_size`` even when it is not sent.
"""

from __future__ import annotations

from typing import Any

from tests.catalog.fake_unity.errors import invalid
from tests.catalog.fake_unity.routes.base import Request, RouteTable, paginate, with_page
from tests.catalog.fake_unity.state import Kind, MutableSecurable, privilege_refusal

routes = RouteTable()

_SCHEMA_PRIVILEGES = frozenset(
    {
        "ALL_PRIVILEGES",
        "APPLY_TAG",
        "CREATE_FUNCTION",
        "CREATE_MATERIALIZED_VIEW",
        "CREATE_TABLE",
        "CREATE_VOLUME",
        "EXECUTE",
        "EXTERNAL_USE_SCHEMA",
        "MANAGE",
        "MODIFY",
        "READ_VOLUME",
        "REFRESH",
        "SELECT",
        "USE_SCHEMA",
        "WRITE_VOLUME",
    }
)
#: what Unity Catalog lets you grant on each securable; grants on a catalog or schema are
#: inherited by what it contains, which is why SELECT may be granted on both
PRIVILEGES: dict[str, frozenset[str]] = {
    "catalog": _SCHEMA_PRIVILEGES | {"USE_CATALOG", "CREATE_SCHEMA", "BROWSE"},
    "schema": _SCHEMA_PRIVILEGES,
    "table": frozenset({"ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "MODIFY", "REFRESH", "SELECT"}),
    "view": frozenset({"ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "SELECT"}),
}
_KNOWN = frozenset().union(*PRIVILEGES.values()) | {"USAGE", "CREATE", "READ_METADATA", "ACCESS"}


def _securable(request: Request, securable_type: str, full_name: str) -> MutableSecurable:
    try:
        kind = Kind(securable_type.lower())
    except ValueError:
        raise invalid(
            f"Invalid securable type '{securable_type}': the fake serves catalog, schema and table."
        ) from None
    return request.state.get(kind, full_name)


def _assignments(target: MutableSecurable, principal: str | None = None) -> list[dict[str, Any]]:
    return [
        {"principal": who, "privileges": sorted(held)}
        for who, held in sorted(target.grants.items())
        if held and (principal is None or who == principal)
    ]


def _answer(assignments: list[dict[str, Any]]) -> dict[str, Any]:
    # an empty repeated field is left out of the JSON, as Databricks leaves it out
    return {"privilege_assignments": assignments} if assignments else {}


@routes("GET", "/api/2.1/unity-catalog/permissions/{securable_type}/{full_name}")
def get_permissions(request: Request, securable_type: str, full_name: str) -> dict[str, Any]:
    target = _securable(request, securable_type, full_name)
    found = _assignments(target, request.query.get("principal"))
    page, token = paginate(request, found, lambda a: str(a["principal"]), smallest_page=150)
    return with_page(_answer(page), token)


@routes("GET", "/api/2.1/unity-catalog/privilege-assignments/{securable_type}/{full_name}")
def list_privilege_assignments(
    request: Request, securable_type: str, full_name: str
) -> dict[str, Any]:
    target = _securable(request, securable_type, full_name)
    found = _assignments(target, request.query.get("principal"))
    page, token = paginate(
        request,
        found,
        lambda a: str(a["principal"]),
        limit_param="page_size",
        everything_without_limit=False,
        smallest_page=150,
    )
    return with_page(_answer(page), token)


@routes("PATCH", "/api/2.1/unity-catalog/permissions/{securable_type}/{full_name}")
def update_permissions(request: Request, securable_type: str, full_name: str) -> dict[str, Any]:
    state = request.state
    target = _securable(request, securable_type, full_name)
    changes = request.body.get("changes") or []
    if not isinstance(changes, list):
        raise invalid("Invalid value for changes: expected a list.")
    allowed = PRIVILEGES["view" if target.table_type == "VIEW" else target.kind.value]
    planned: list[tuple[str, set[str], set[str]]] = []
    for change in changes:
        principal = change.get("principal") if isinstance(change, dict) else None
        if not principal:
            raise invalid("at least one of 'principal' or 'principal_id' must be set")
        if not state.is_principal(principal):
            raise invalid(f"Could not find principal with name {principal}.")
        add, remove = set(change.get("add") or ()), set(change.get("remove") or ())
        for privilege in sorted(add | remove):
            if privilege not in _KNOWN:
                raise invalid(f"Privilege {privilege} is not a valid privilege.")
            if privilege not in allowed:
                raise invalid(
                    f"Privilege {privilege} is not applicable to this entity "
                    f"[{target.full_name}:{target.kind.value.upper()}]. If this seems "
                    "unexpected, please check the privilege version used with the metastore."
                )
        planned.append((principal, add, remove))
    if planned:
        state.check_may_change(target, privilege_refusal("MANAGE", target))
    for principal, add, remove in planned:
        held = target.grants.setdefault(principal, set())
        held |= add
        held -= remove
        if not held:
            del target.grants[principal]
    if request.body.get("omit_permissions_in_response"):
        return {}
    return _answer(_assignments(target))
