"""Tags: ``/api/2.1/unity-catalog/entity-tag-assignments`` (``w.entity_tag_assignments``).

``entity_type`` is plural as the SDK documents it: ``catalogs``, ``schemas``, ``tables`` or
``columns`` (a column's ``entity_name`` is ``catalog.schema.table.column``). Creating a key
the entity already has is a 409 (PATCH changes a value), deleting or reading a key it does
not have is a 404, and an entity holds at most 50 tags. The list pages by default: the SDK
sends no ``max_results`` and follows ``next_page_token``.
"""

from __future__ import annotations

import datetime
from typing import Any

from tests.catalog.fake_unity.errors import UnityError, invalid, not_found
from tests.catalog.fake_unity.routes.base import Request, RouteTable, paginate, with_page
from tests.catalog.fake_unity.state import Kind, MutableSecurable, MutableTag, privilege_refusal

routes = RouteTable()
BASE = "/api/2.1/unity-catalog/entity-tag-assignments"
ENTITY_KINDS = {"catalogs": Kind.CATALOG, "schemas": Kind.SCHEMA, "tables": Kind.TABLE}
MAX_TAGS = 50


def _entity(request: Request, entity_type: str, entity_name: str) -> MutableSecurable:
    """The securable the tags belong to (a column's table), after checking the column."""
    state = request.state
    if entity_type == "columns":
        table_name, _, column = entity_name.lower().rpartition(".")
        table = state.get(Kind.TABLE, table_name)
        if column not in {c.name.lower() for c in table.columns}:
            raise not_found("column", entity_name.lower())
        return table
    if entity_type not in ENTITY_KINDS:
        raise invalid(
            f"Invalid entity_type '{entity_type}': expected catalogs, schemas, tables or columns."
        )
    return state.get(ENTITY_KINDS[entity_type], entity_name)


def _render(entity_type: str, entity_name: str, key: str, tag: MutableTag) -> dict[str, Any]:
    body = {
        "entity_type": entity_type,
        "entity_name": entity_name,
        "tag_key": key,
        "update_time": tag.update_time,
        "updated_by": tag.updated_by,
    }
    return body | ({"tag_value": tag.value} if tag.value is not None else {})


def _missing_tag(entity_type: str, entity_name: str, key: str) -> UnityError:
    return UnityError(
        404,
        "RESOURCE_DOES_NOT_EXIST",
        f"Tag assignment with key '{key}' does not exist on {entity_type[:-1]} '{entity_name}'.",
    )


def _now() -> str:
    moment = datetime.datetime.now(datetime.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@routes("POST", BASE)
def create_tag(request: Request) -> dict[str, Any]:
    state = request.state
    entity_type, entity_name = request.required("entity_type"), request.required("entity_name")
    key, value = request.required("tag_key"), request.text("tag_value")
    if not key.strip() or len(key) > 255:
        raise invalid(f"Invalid tag key '{key}': a key is 1 to 255 characters.")
    if value is not None and len(value) > 1000:
        raise invalid("Invalid tag value: a value is at most 1000 characters.")
    target = _entity(request, entity_type, entity_name)
    state.check_may_change(target, privilege_refusal("APPLY TAG", target))
    name = entity_name.lower()
    held = state.tags.setdefault(name, {})
    if key in held:
        raise UnityError(
            409,
            "RESOURCE_ALREADY_EXISTS",
            f"Tag assignment with key '{key}' already exists on {entity_type[:-1]} '{name}'.",
        )
    if len(held) >= MAX_TAGS:
        raise invalid(f"Cannot assign more than {MAX_TAGS} tags to '{name}'.")
    held[key] = MutableTag(value, _now(), state.current_user)
    return _render(entity_type, name, key, held[key])


@routes("GET", f"{BASE}/{{entity_type}}/{{entity_name}}/tags")
def list_tags(request: Request, entity_type: str, entity_name: str) -> dict[str, Any]:
    _entity(request, entity_type, entity_name)
    name = entity_name.lower()
    held = sorted(request.state.tags.get(name, {}).items())
    page, token = paginate(request, held, lambda item: item[0], everything_without_limit=False)
    rendered = [_render(entity_type, name, key, tag) for key, tag in page]
    return with_page({"tag_assignments": rendered} if rendered else {}, token)


@routes("GET", f"{BASE}/{{entity_type}}/{{entity_name}}/tags/{{tag_key}}")
def get_tag(request: Request, entity_type: str, entity_name: str, tag_key: str) -> dict[str, Any]:
    _entity(request, entity_type, entity_name)
    name = entity_name.lower()
    tag = request.state.tags.get(name, {}).get(tag_key)
    if tag is None:
        raise _missing_tag(entity_type, name, tag_key)
    return _render(entity_type, name, tag_key, tag)


@routes("PATCH", f"{BASE}/{{entity_type}}/{{entity_name}}/tags/{{tag_key}}")
def update_tag(
    request: Request, entity_type: str, entity_name: str, tag_key: str
) -> dict[str, Any]:
    state = request.state
    target = _entity(request, entity_type, entity_name)
    mask = request.query.get("update_mask", "")
    if not mask:
        raise invalid("Missing required field: update_mask")
    name = entity_name.lower()
    tag = state.tags.get(name, {}).get(tag_key)
    if tag is None:
        raise _missing_tag(entity_type, name, tag_key)
    state.check_may_change(target, privilege_refusal("APPLY TAG", target))
    if mask == "*" or "tag_value" in mask.split(","):
        tag.value = request.text("tag_value")
    tag.update_time, tag.updated_by = _now(), state.current_user
    return _render(entity_type, name, tag_key, tag)


@routes("DELETE", f"{BASE}/{{entity_type}}/{{entity_name}}/tags/{{tag_key}}")
def delete_tag(
    request: Request, entity_type: str, entity_name: str, tag_key: str
) -> dict[str, Any]:
    state = request.state
    target = _entity(request, entity_type, entity_name)
    name = entity_name.lower()
    if tag_key not in state.tags.get(name, {}):
        raise _missing_tag(entity_type, name, tag_key)
    state.check_may_change(target, privilege_refusal("APPLY TAG", target))
    del state.tags[name][tag_key]
    return {}
