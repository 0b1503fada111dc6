"""Browsing the catalog (scope catalog:read), in the first guide's shapes:
``{success, message, catalogs|schemas|tables: [...], sql}``, each with the SQL that shows
the same on Databricks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from lakechat.api.access import GuardedRoute, requires
from lakechat.api.deps import services
from lakechat.catalog.changes import quoted
from lakechat.catalog.names import ObjectName, Securable, parse_securable
from lakechat.catalog.search import search, without_owner
from lakechat.errors import BadRequest

router = APIRouter(tags=["catalog"], route_class=GuardedRoute)


def _listed(kind: str, items: list[dict[str, Any]], where: str, sql: str) -> dict[str, Any]:
    noun = kind if len(items) != 1 else kind[:-1]
    return {"success": True, "message": f"{len(items)} {noun}{where}", kind: items, "sql": sql}


@router.get("/api/catalogs", summary="List catalogs", **requires("catalog:read"))
async def catalogs(request: Request) -> dict[str, Any]:
    found = await run_in_threadpool(services(request).governance.catalog.list_catalogs)
    return _listed("catalogs", [c.as_json() for c in found], "", "SHOW CATALOGS")


@router.get(
    "/api/schemas/{catalog}", summary="List a catalog's schemas", **requires("catalog:read")
)
async def schemas(catalog: str, request: Request) -> dict[str, Any]:
    name = ObjectName.parse(catalog, Securable.CATALOG)
    found = await run_in_threadpool(
        services(request).governance.catalog.list_schemas, name.full_name
    )
    return _listed(
        "schemas", [s.as_json() for s in found], f" in {name}", f"SHOW SCHEMAS IN {quoted(name)}"
    )


@router.get(
    "/api/tables/{catalog}/{schema}", summary="List a schema's tables", **requires("catalog:read")
)
async def tables(catalog: str, schema: str, request: Request) -> dict[str, Any]:
    name = ObjectName.parse(f"{catalog}.{schema}", Securable.SCHEMA)
    found = await run_in_threadpool(services(request).governance.catalog.list_tables, *name.parts)
    items = [t.as_json(columns=False) for t in found]
    return _listed("tables", items, f" in {name}", f"SHOW TABLES IN {quoted(name)}")


@router.get("/api/tables/{full_name}", summary="Describe a table", **requires("catalog:read"))
async def table(full_name: str, request: Request) -> dict[str, Any]:
    name = ObjectName.parse(full_name, Securable.TABLE)
    info = await run_in_threadpool(services(request).governance.catalog.get, name)
    return {
        "success": True,
        "message": f"table {name}: {len(info.columns)} columns, owner {info.owner or 'none'}",
        "table": info.as_json(),
        "sql": f"DESCRIBE TABLE EXTENDED {quoted(name)}",
    }


@router.get(
    "/api/grants/{securable_type}/{full_name}",
    summary="Grants on a catalog, schema or table",
    **requires("catalog:read"),
)
async def grants(securable_type: str, full_name: str, request: Request) -> dict[str, Any]:
    securable = parse_securable(securable_type)
    name = ObjectName.parse(full_name, securable)
    found = await run_in_threadpool(services(request).governance.catalog.grants, name)
    return {
        "success": True,
        "message": f"{len(found)} principal{'s hold' if len(found) != 1 else ' holds'} grants on {securable.value} {name}",
        "grants": [g.as_json() for g in found],
        "sql": f"SHOW GRANTS ON {securable.value.upper()} {quoted(name)}",
    }


@router.get(
    "/api/catalog/search",
    summary="Find objects by name, comment or tag",
    **requires("catalog:read"),
)
async def find(
    request: Request,
    q: str = Query("", max_length=200, description="Text in a name, comment, column or tag"),
    type: str | None = Query(None, description="catalog, schema or table"),
    no_owner: bool = Query(False, description="Only objects without an owner"),
) -> dict[str, Any]:
    catalog = services(request).governance.catalog
    securable = parse_securable(type) if type else None
    if no_owner:
        found = await run_in_threadpool(without_owner, catalog, securable or Securable.TABLE)
        if q.strip():
            found = [f for f in found if q.strip().lower() in f.name.full_name]
    elif not q.strip():
        raise BadRequest("say what to search for: ?q=TEXT (or ?no_owner=true)")
    else:
        found = await run_in_threadpool(search, catalog, q, securable=securable)
    return {
        "success": True,
        "message": f"{len(found)} object{'s' if len(found) != 1 else ''} found",
        "results": [f.as_json(columns=False) for f in found],
    }
