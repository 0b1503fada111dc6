"""The semantic API: POST /v1/query and the /v1/datasets browser (scope data:read).

A model that needs a further scope (``x-lakechat.required_scope``: the request log's
``health:read``) is left out of the list for keys without it, and its own routes answer
them 403 ``missing_scope``, as querying it does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request
from starlette.concurrency import run_in_threadpool

from lakechat.api.access import GuardedRoute, current_principal, requires
from lakechat.api.deps import services
from lakechat.errors import MissingScope
from lakechat.security.principals import Principal
from lakechat.semantic.loader import LoadedModel
from lakechat.semantic.query import SemanticQuery, parse_query
from lakechat.semantic.service import answer

router = APIRouter(tags=["semantic"], route_class=GuardedRoute)
#: Taken as plain JSON and checked by parse_query, so a wrong field is a 400 that names it
#: (the seed gateway's contract); the schema is still published in OpenAPI.
QUERY_BODY = Body(
    ...,
    description="A semantic query",
    json_schema_extra=SemanticQuery.model_json_schema(by_alias=True),
)


@router.post(
    "/v1/query",
    summary="Ask a semantic model for metrics by dimensions",
    **requires("data:read", "query"),
)
async def query(request: Request, body: dict[str, Any] = QUERY_BODY) -> dict[str, Any]:
    svc = services(request)
    principal = current_principal(request)
    asked = parse_query(body)  # a wrong field is a 400 naming it, as the gateway's clients expect
    result = await run_in_threadpool(
        answer,
        svc.models,
        svc.warehouse,
        asked,
        principal,
        svc.settings,
        svc.result_cache,
        svc.clock,
    )
    request.state.log = {
        "plan_type": "SemanticQuery",
        "sql": result["stats"]["sql"],
        "row_count": result["stats"]["row_count"],
    }
    return result


@router.get("/v1/datasets", summary="The semantic models", **requires("data:read"))
async def datasets(request: Request) -> dict[str, Any]:
    svc, principal = services(request), current_principal(request)
    # a model that needs a further scope (the request log's) is listed only to who may query it
    shown = [m for m in svc.models.all() if _missing_scope(m, principal) is None]
    return {"datasets": [_summary(m) for m in shown]}


def _missing_scope(model: LoadedModel, principal: Principal) -> str | None:
    """The further scope ``model`` needs that ``principal`` lacks, if any."""
    needed = model.view.extras.required_scope
    if needed is None or principal.has_scope(needed):
        return None
    return needed.value


def _readable(dataset_id: str, request: Request) -> LoadedModel:
    """The model, for a caller who may query it (the check ``answer()`` makes)."""
    model = services(request).models.get(dataset_id)
    needed = _missing_scope(model, current_principal(request))
    if needed is not None:
        raise MissingScope(f"dataset {model.id!r} needs the {needed} scope")
    return model


@router.get("/v1/datasets/{dataset_id}", summary="One semantic model", **requires("data:read"))
async def dataset(dataset_id: str, request: Request) -> dict[str, Any]:
    model = _readable(dataset_id, request)
    return {**_summary(model), "dimensions": _dimensions(model), "metrics": _metrics(model)}


@router.get(
    "/v1/datasets/{dataset_id}/schema",
    summary="A model's fields and joins",
    **requires("data:read"),
)
async def dataset_schema(dataset_id: str, request: Request) -> dict[str, Any]:
    model = _readable(dataset_id, request)
    view = model.view
    return {
        **_summary(model),
        "filter": view.filter,
        "joins": [
            {"name": j.name, "source": j.source, "on": j.on, "using": j.using}
            for j in view.all_joins()
        ],
        "dimensions": _dimensions(model),
        "metrics": _metrics(model),
        "default_time_dimension": view.extras.default_time_dimension,
        "row_level_security": view.extras.row_level_security is not None,
    }


@router.get(
    "/v1/datasets/{dataset_id}/dimensions", summary="A model's dimensions", **requires("data:read")
)
async def dataset_dimensions(dataset_id: str, request: Request) -> dict[str, Any]:
    return {"dimensions": _dimensions(_readable(dataset_id, request))}


@router.get(
    "/v1/datasets/{dataset_id}/metrics", summary="A model's metrics", **requires("data:read")
)
async def dataset_metrics(dataset_id: str, request: Request) -> dict[str, Any]:
    return {"metrics": _metrics(_readable(dataset_id, request))}


def _summary(model: LoadedModel) -> dict[str, Any]:
    view = model.view
    return {
        "id": model.id,
        "source": view.source,
        "description": view.comment,
        "dimension_count": len(view.dimensions),
        "metric_count": len(view.measures),
        "sample_questions": list(view.extras.sample_questions),
    }


def _dimensions(model: LoadedModel) -> list[dict[str, Any]]:
    synonyms = model.view.extras.value_synonyms
    return [
        {
            "name": d.name,
            "display_name": d.display_name or d.name.replace("_", " ").capitalize(),
            "description": d.comment,
            "synonyms": list(d.synonyms),
            "format": d.format.model_dump(exclude_none=True) if d.format else None,
            "value_synonyms": {k: list(v) for k, v in synonyms.get(d.name, {}).items()},
        }
        for d in model.view.dimensions
    ]


def _metrics(model: LoadedModel) -> list[dict[str, Any]]:
    return [
        {
            "name": m.name,
            "display_name": m.display_name or m.name.replace("_", " ").capitalize(),
            "description": m.comment,
            "synonyms": list(m.synonyms),
            "format": m.format.model_dump(exclude_none=True) if m.format else None,
        }
        for m in model.view.measures
    ]
