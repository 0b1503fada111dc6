"""The documents API: upload files (a background job), add a section in the /ingest guide's
shape, list, read and delete documents, and ask them (``POST /query``).

Reading needs scope ``docs:read``, changing ``docs:write``; all count against the ``docs``
rate-limit class, and ``/query`` also against its own limits per session and per client IP.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.concurrency import run_in_threadpool

from lakechat.api.access import GuardedRoute, client_ip, current_principal, requires
from lakechat.api.deps import services
from lakechat.api.services import AppServices
from lakechat.errors import BadRequest, PayloadTooLarge
from lakechat.knowledge.answers import DocsAnswer
from lakechat.knowledge.base import Filters
from lakechat.knowledge.documents import as_json
from lakechat.knowledge.ingest import Upload
from lakechat.knowledge.uploads import check_upload, ingest_section, stage
from lakechat.security.principals import Principal

router = APIRouter(tags=["documents"], route_class=GuardedRoute)

MAX_QUERY_CHARS = 500
MAX_SELECTED_CHARS = 10_000
#: files one POST /files may carry
MAX_FILES = 20


class IngestRequest(BaseModel):
    """One section of a book, as the /ingest guide sends it."""

    model_config = ConfigDict(extra="forbid")

    chapter: str = Field(min_length=1, max_length=500)
    section: str = Field(min_length=1, max_length=500)
    content: str = Field(min_length=1, description="The section's text (Markdown or plain).")
    book_version: str = Field("", max_length=100)
    tags: list[str] = Field(default_factory=list, max_length=20)


class QueryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(description=f"The question, 1 to {MAX_QUERY_CHARS} characters.")
    session_id: str | None = Field(None, description="Continue this session.")
    book_version: str | None = Field(None, description="Only documents of this version.")
    mode: Literal["full_book", "selected_text"] = "full_book"
    selected_text: str | None = Field(
        None, description=f"mode=selected_text: answer only from this (≤ {MAX_SELECTED_CHARS})."
    )
    chapter_filter: str | list[str] | None = Field(None, description="Only these chapters.")
    tags: list[str] = Field(default_factory=list, description="Only documents with any of these.")
    documents: list[str] = Field(default_factory=list, description="Only these (ids or names).")
    top_k: int = Field(5, ge=1, le=20)

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("the query is empty")
        if len(value) > MAX_QUERY_CHARS:
            raise ValueError(f"the query has {len(value)} characters; at most {MAX_QUERY_CHARS}")
        return value

    @field_validator("selected_text")
    @classmethod
    def _selected(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_SELECTED_CHARS:
            raise ValueError(
                f"selected_text has {len(value)} characters; at most {MAX_SELECTED_CHARS}"
            )
        return value

    def filters(self) -> Filters:
        chapters = (
            [self.chapter_filter] if isinstance(self.chapter_filter, str) else self.chapter_filter
        )
        return Filters(chapters=tuple(chapters or ()),
                       versions=(self.book_version,) if self.book_version else (),
                       documents=tuple(self.documents), tags=tuple(self.tags))  # fmt: skip


@router.post(
    "/files",
    summary="Upload documents (Markdown, text, HTML, PDF, DOCX); ingested by a background job",
    status_code=202,
    **requires("docs:write", "docs"),
)
async def upload_files(
    request: Request,
    files: Annotated[list[UploadFile], File(description="One or more files.")],
    version: Annotated[str, Form(max_length=100)] = "",
    tags: Annotated[str, Form(description="Comma-separated tags.", max_length=1000)] = "",
) -> dict[str, Any]:
    svc, principal = services(request), current_principal(request)
    if len(files) > MAX_FILES:
        raise BadRequest(f"{len(files)} files in one request; at most {MAX_FILES}")
    limit = int(svc.settings.max_upload_mb * 1024 * 1024)
    labels = tuple(t.strip() for t in tags.split(",") if t.strip())
    uploads = []
    for file in files:
        name = file.filename or "upload"
        if file.size is not None and file.size > limit:
            raise PayloadTooLarge(
                f"{name} is {file.size} bytes; the limit is {limit} (MAX_UPLOAD_MB)"
            )
        data = await file.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLarge(f"{name} is over the limit of {limit} bytes (MAX_UPLOAD_MB)")
        uploads.append(Upload(name, data, version, labels))
    # refuse the whole request (nothing stored) when any file cannot be read
    for upload in uploads:
        await run_in_threadpool(check_upload, upload)
    job = await run_in_threadpool(stage, svc.knowledge, svc.governance.runner, principal, uploads)
    return {**job, "status_url": f"/api/jobs/{job['job_id']}"}


@router.post(
    "/ingest",
    summary="Add one section of a book (the /ingest guide's shape)",
    status_code=201,
    **requires("docs:write", "docs"),
)
async def ingest(body: IngestRequest, request: Request) -> dict[str, Any]:
    svc, principal = services(request), current_principal(request)
    return await run_in_threadpool(
        ingest_section, svc.knowledge, principal, body.chapter, body.section, body.content,
        body.book_version, tuple(body.tags),
    )  # fmt: skip


@router.get("/api/documents", summary="The tenant's documents", **requires("docs:read", "docs"))
async def list_documents(
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    svc, principal = services(request), current_principal(request)
    rows, total = await run_in_threadpool(
        svc.knowledge.documents.listed, principal.tenant, limit=limit, offset=offset
    )
    return {"documents": [as_json(r) for r in rows], "total": total, "limit": limit,
            "offset": offset, "search": svc.knowledge.search_mode}  # fmt: skip


@router.get("/api/documents/{document_id}", summary="One document", **requires("docs:read", "docs"))
async def get_document(document_id: str, request: Request) -> dict[str, Any]:
    svc, principal = services(request), current_principal(request)
    row = await run_in_threadpool(svc.knowledge.documents.get, principal.tenant, document_id)
    return as_json(row)


@router.get(
    "/api/documents/{document_id}/file",
    summary="A document's original file",
    response_class=Response,
    **requires("docs:read", "docs"),
)
async def document_file(document_id: str, request: Request) -> Response:
    svc, principal = services(request), current_principal(request)
    row = await run_in_threadpool(svc.knowledge.documents.get, principal.tenant, document_id)
    if not row.file_key:
        raise BadRequest(f"document {document_id!r} was added as text; it has no file")
    data = await run_in_threadpool(svc.knowledge.files.get, row.file_key)
    filename = row.name.rsplit("/", 1)[-1].replace('"', "")
    return Response(data, media_type="application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip


@router.delete(
    "/api/documents/{document_id}",
    summary="Delete a document, its chunks, vectors and original",
    **requires("docs:write", "docs"),
)
async def delete_document(document_id: str, request: Request) -> dict[str, Any]:
    svc, principal = services(request), current_principal(request)
    row = await run_in_threadpool(svc.knowledge.delete, principal.tenant, document_id)
    return {"deleted": row.id, "name": row.name, "chunks_removed": row.chunk_count}


@router.post(
    "/query",
    summary="Ask the documents (the /query guide's shape): a cited, extractive answer",
    **requires("docs:read", "docs"),
)
async def query(body: QueryRequest, request: Request) -> dict[str, Any]:
    started = time.perf_counter()
    svc, principal = services(request), current_principal(request)
    if body.mode == "selected_text" and not (body.selected_text or "").strip():
        raise BadRequest("mode selected_text needs selected_text: the text to answer from")
    settings = svc.settings
    await svc.limiter.enforce_budget("query_ip", client_ip(request),
        settings.rate_limit_queries_per_day_per_ip, "day", "RATE_LIMIT_QUERIES_PER_DAY_PER_IP")  # fmt: skip
    session = await run_in_threadpool(svc.sessions.open, body.session_id, principal)
    await svc.limiter.enforce_budget("query_session", session.id,
        settings.rate_limit_queries_per_minute, "minute", "RATE_LIMIT_QUERIES_PER_MINUTE")  # fmt: skip
    answer = await run_in_threadpool(_answer, svc, principal, body)
    reply = _reply(answer, started)
    await run_in_threadpool(
        svc.sessions.record, session, body.query, {**reply, "answer": answer.response,
        "type": "docs"}, request_id=request.state.request_id,
    )  # fmt: skip
    request.state.log = {"plan_type": "DocsQuestion", "question": body.query,
                         "domain": "documents", "status": "answered" if answer.found else "not_found"}  # fmt: skip
    return {**reply, "session_id": session.id}


def _answer(svc: AppServices, principal: Principal, body: QueryRequest) -> DocsAnswer:
    if body.mode == "selected_text":
        return svc.knowledge.answer_in(principal.tenant, body.query, body.selected_text or "")
    return svc.knowledge.answer(
        principal.tenant, body.query, top_k=body.top_k, filters=body.filters()
    )


def _reply(answer: DocsAnswer, started: float) -> dict[str, Any]:
    return {"response": answer.response, "sources": [s.as_json() for s in answer.sources],
            "found": answer.found, "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            "mode": answer.mode, "input_tokens": answer.input_tokens,
            "output_tokens": answer.output_tokens}  # fmt: skip
