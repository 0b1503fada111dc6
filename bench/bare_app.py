"""The baseline for bench/http_overhead.py: a bare FastAPI app with one no-op route."""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/noop")
async def noop() -> dict[str, bool]:
    return {"ok": True}
