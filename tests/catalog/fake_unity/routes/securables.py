"""Catalogs, schemas and tables: ``/api/2.1/unity-catalog/{catalogs,schemas,tables}``.

The JSON is what ``CatalogInfo``, ``SchemaInfo`` and ``TableInfo`` read: times in
milliseconds, a view is a table with ``table_type`` VIEW and no data source format, columns
carry ``type_text``/``type_name``/``type_json`` and a 0-based ``position``. A PATCH returns
the updated object (a table's returns nothing: ``TablesAPI.update`` reads no body), a DELETE
returns ``{}``. Dropping a catalog or schema that is not empty needs ``force=true``.
"""

from __future__ import annotations

from typing import Any

from tests.catalog.fake_unity.column_types import type_json
from tests.catalog.fake_unity.errors import already_exists, invalid
from tests.catalog.fake_unity.routes.base import Request, RouteTable, paginate, with_page
from tests.catalog.fake_unity.state import (
    Kind,
    MutableSecurable,
    UnityState,
    owner_refusal,
    privilege_refusal,
)

routes = RouteTable()
UC = "/api/2.1/unity-catalog"


# rendering --------------------------------------------------------------------------
def _common(
    found: MutableSecurable, state: UnityState, omit_username: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": found.name,
        "full_name": found.full_name,
        "metastore_id": state.metastore_id,
        "created_at": found.created_at,
        "updated_at": found.updated_at,
        "browse_only": False,
    }
    if not omit_username:
        body |= {
            "owner": found.owner,
            "created_by": found.created_by,
            "updated_by": found.updated_by,
        }
    if found.comment:
        body["comment"] = found.comment
    if found.properties:
        body["properties"] = dict(found.properties)
    return body


def catalog_info(found: MutableSecurable, state: UnityState) -> dict[str, Any]:
    return _common(found, state) | {
        "catalog_type": found.catalog_type,
        "securable_type": "CATALOG",
        "isolation_mode": "OPEN",
    }


def schema_info(found: MutableSecurable, state: UnityState) -> dict[str, Any]:
    catalog = state.objects[found.parts[0]]
    return _common(found, state) | {
        "catalog_name": found.parts[0],
        "catalog_type": catalog.catalog_type,
        "schema_id": found.id,
    }


def table_info(
    found: MutableSecurable,
    state: UnityState,
    *,
    omit_columns: bool = False,
    omit_username: bool = False,
) -> dict[str, Any]:
    body = _common(found, state, omit_username) | {
        "catalog_name": found.parts[0],
        "schema_name": found.parts[1],
        "table_type": found.table_type,
        "table_id": found.id,
    }
    if found.table_type == "VIEW":
        body["view_definition"] = found.view_definition or ""
    else:
        body["data_source_format"] = found.data_source_format
        body["storage_location"] = (
            f"s3://fake-unity-metastore/{state.metastore_id}/tables/{found.id}"
        )
    if not omit_columns:
        body["columns"] = [
            {
                "name": column.name,
                "type_text": column.type.type_text,
                "type_name": column.type.type_name,
                "type_json": type_json(column.name, column.type, column.nullable, column.comment),
                "type_precision": column.type.precision,
                "type_scale": column.type.scale,
                "position": position,
                "nullable": column.nullable,
            }
            | ({"comment": column.comment} if column.comment else {})
            for position, column in enumerate(found.columns)
        ]
    return body


# changes shared by the three kinds ------------------------------------------------
def _update(request: Request, target: MutableSecurable) -> None:
    state = request.state
    state.check_may_change(target, owner_refusal(target))
    owner = request.text("owner")
    if owner is not None:
        if not state.is_principal(owner):
            raise invalid(f"Could not find principal with name {owner}.")
        target.owner = owner
    if "comment" in request.body:
        target.comment = request.text("comment") or None
    properties = request.body.get("properties")
    if isinstance(properties, dict):
        target.properties.update({str(k): str(v) for k, v in properties.items()})
    new_name = request.text("new_name")
    if new_name:
        _rename(state, target, new_name)
    target.touch(state.current_user, state.now())


def _rename(state: UnityState, target: MutableSecurable, new_leaf: str) -> None:
    parent = target.full_name.rpartition(".")[0]
    renamed = f"{parent}.{new_leaf.lower()}" if parent else new_leaf.lower()
    if state.find(renamed) is not None:
        raise already_exists(target.kind, renamed)
    state.rename(target, renamed)


def _delete(request: Request, target: MutableSecurable) -> dict[str, Any]:
    state = request.state
    state.check_may_change(target, owner_refusal(target))
    inside = state.children(target.full_name)
    if inside and not request.flag("force"):
        if target.kind is Kind.CATALOG:
            detail = f"The catalog has {len(inside)} schemas(s)."
        else:
            detail = f"The schema has {len(inside)} tables(s), 0 functions(s), 0 volumes(s)."
        raise invalid(
            f"{target.kind.value.title()} '{target.full_name}' is not empty. {detail} "
            "Use force=true to delete it and everything in it."
        )
    state.remove(target)
    return {}


# catalogs ---------------------------------------------------------------------------
@routes("GET", f"{UC}/catalogs")
def list_catalogs(request: Request) -> dict[str, Any]:
    page, token = paginate(request, request.state.children(""), lambda c: c.full_name)
    return with_page({"catalogs": [catalog_info(c, request.state) for c in page]}, token)


@routes("POST", f"{UC}/catalogs")
def create_catalog(request: Request) -> dict[str, Any]:
    state = request.state
    created = state.add(Kind.CATALOG, request.required("name"), comment=request.text("comment"))
    properties = request.body.get("properties")
    if isinstance(properties, dict):
        created.properties = {str(k): str(v) for k, v in properties.items()}
    return catalog_info(created, state)


@routes("GET", f"{UC}/catalogs/{{name}}")
def get_catalog(request: Request, name: str) -> dict[str, Any]:
    return catalog_info(request.state.get(Kind.CATALOG, name), request.state)


@routes("PATCH", f"{UC}/catalogs/{{name}}")
def update_catalog(request: Request, name: str) -> dict[str, Any]:
    target = request.state.get(Kind.CATALOG, name)
    _update(request, target)
    return catalog_info(target, request.state)


@routes("DELETE", f"{UC}/catalogs/{{name}}")
def delete_catalog(request: Request, name: str) -> dict[str, Any]:
    return _delete(request, request.state.get(Kind.CATALOG, name))


# schemas ----------------------------------------------------------------------------
@routes("GET", f"{UC}/schemas")
def list_schemas(request: Request) -> dict[str, Any]:
    catalog_name = request.query.get("catalog_name")
    if not catalog_name:
        raise invalid("Missing required field: catalog_name")
    catalog = request.state.get(Kind.CATALOG, catalog_name)
    found = request.state.children(catalog.full_name)
    page, token = paginate(request, found, lambda s: s.full_name)
    return with_page({"schemas": [schema_info(s, request.state) for s in page]}, token)


@routes("POST", f"{UC}/schemas")
def create_schema(request: Request) -> dict[str, Any]:
    state = request.state
    catalog = state.get(Kind.CATALOG, request.required("catalog_name"))
    state.check_may_change(catalog, privilege_refusal("CREATE SCHEMA", catalog))
    full_name = f"{catalog.full_name}.{request.required('name')}"
    created = state.add(Kind.SCHEMA, full_name, comment=request.text("comment"))
    properties = request.body.get("properties")
    if isinstance(properties, dict):
        created.properties = {str(k): str(v) for k, v in properties.items()}
    return schema_info(created, state)


@routes("GET", f"{UC}/schemas/{{full_name}}")
def get_schema(request: Request, full_name: str) -> dict[str, Any]:
    return schema_info(request.state.get(Kind.SCHEMA, full_name), request.state)


@routes("PATCH", f"{UC}/schemas/{{full_name}}")
def update_schema(request: Request, full_name: str) -> dict[str, Any]:
    target = request.state.get(Kind.SCHEMA, full_name)
    _update(request, target)
    return schema_info(target, request.state)


@routes("DELETE", f"{UC}/schemas/{{full_name}}")
def delete_schema(request: Request, full_name: str) -> dict[str, Any]:
    return _delete(request, request.state.get(Kind.SCHEMA, full_name))


# tables -----------------------------------------------------------------------------
@routes("GET", f"{UC}/tables")
def list_tables(request: Request) -> dict[str, Any]:
    catalog_name, schema_name = (request.query.get(p) for p in ("catalog_name", "schema_name"))
    if not catalog_name or not schema_name:
        raise invalid(
            "Missing required field: " + ("schema_name" if catalog_name else "catalog_name")
        )
    schema = request.state.get(Kind.SCHEMA, f"{catalog_name}.{schema_name}")
    found = request.state.children(schema.full_name)
    page, token = paginate(request, found, lambda t: t.full_name)
    rendered = [
        table_info(
            t,
            request.state,
            omit_columns=request.flag("omit_columns"),
            omit_username=request.flag("omit_username"),
        )
        for t in page
    ]
    return with_page({"tables": rendered}, token)


@routes("GET", f"{UC}/tables/{{full_name}}")
def get_table(request: Request, full_name: str) -> dict[str, Any]:
    return table_info(request.state.get(Kind.TABLE, full_name), request.state)


@routes("GET", f"{UC}/tables/{{full_name}}/exists")
def table_exists(request: Request, full_name: str) -> dict[str, Any]:
    schema_name, _, _ = full_name.lower().rpartition(".")
    request.state.get(Kind.SCHEMA, schema_name)  # a missing catalog or schema is still a 404
    return {"table_exists": request.state.find(full_name) is not None}


@routes("PATCH", f"{UC}/tables/{{full_name}}")
def update_table(request: Request, full_name: str) -> dict[str, Any]:
    _update(request, request.state.get(Kind.TABLE, full_name))
    return {}


@routes("DELETE", f"{UC}/tables/{{full_name}}")
def delete_table(request: Request, full_name: str) -> dict[str, Any]:
    return _delete(request, request.state.get(Kind.TABLE, full_name))
