"""Jobs on Celery: a real worker process (``lakechat jobs worker``) on the real Redis runs a
confirmed batch proposal that the API queued, and its progress shows in /api/jobs."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lakechat.settings import Settings
from tests.conftest import issue_key


@pytest.fixture
def queue() -> str:
    return "lakechat-test-" + secrets.token_hex(4)


@pytest.fixture
def worker(
    home: Path, redis_url: str, queue: str, lakehouse_copy: Path, tmp_path: Path
) -> Iterator[Worker]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    env.update(
        LAKECHAT_HOME=str(home), REDIS_URL=redis_url, JOBS_BACKEND="celery", JOBS_QUEUE=queue,
        EMBEDDINGS_PROVIDER="none",
    )  # fmt: skip
    command = [sys.executable, "-m", "lakechat", "jobs", "worker", "--concurrency", "1"]
    log = tmp_path / "worker.log"
    with (
        log.open("w") as out,
        subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT) as process,
    ):
        try:
            yield Worker(process, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@dataclass(frozen=True)
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None


def finished(
    api: TestClient, job_id: str, headers: dict[str, str], worker: Worker
) -> dict[str, Any]:
    job: dict[str, Any] = {}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job = api.get(f"/api/jobs/{job_id}", headers=headers).json()
        if job["status"] not in ("queued", "running"):
            break
        assert worker.alive(), worker.log.read_text()
        time.sleep(0.2)
    return job


def test_a_celery_worker_ingests_uploaded_documents(
    make_client: Callable[..., TestClient], make_settings: Callable[..., Settings], redis_url: str, queue: str,
    worker: Worker,
) -> None:  # fmt: skip
    """The upload is staged in the file store, so a worker in another process reads it."""
    api = make_client(make_settings(jobs_backend="celery", redis_url=redis_url, jobs_queue=queue))
    headers = {"X-API-Key": issue_key(api, role="admin")}
    files = [("files", ("leave.md", b"# Leave\n\n## Annual\nEveryone gets 25 days a year.", "text/markdown")),
             ("files", ("pay.txt", b"Pay\nSalaries are paid on the 25th.", "text/plain"))]  # fmt: skip
    queued = api.post("/files", files=files, headers=headers).json()
    job = finished(api, queued["job_id"], headers, worker)
    assert (job["status"], job["done"], job["failed"]) == ("succeeded", 2, 0), job
    answer = api.post("/query", json={"query": "how many days of leave a year?"}, headers=headers)
    assert answer.json()["sources"][0]["document"] == "leave.md", answer.text


def test_a_celery_worker_runs_a_batch_with_progress(
    make_client: Callable[..., TestClient], make_settings: Callable[..., Settings], redis_url: str, queue: str,
    worker: Worker,
) -> None:  # fmt: skip
    api = make_client(make_settings(jobs_backend="celery", redis_url=redis_url, jobs_queue=queue))
    headers = {"X-API-Key": issue_key(api, role="admin")}
    body = {
        "changes": [
            {
                "action": "grant",
                "name": "main.learning.*",
                "principal": "engineers",
                "privileges": ["SELECT"],
            }
        ]
    }
    proposal = api.post("/api/proposals", json=body, headers=headers).json()
    confirmed = api.post(proposal["confirm"], headers=headers).json()
    assert confirmed["status"] == "running" and confirmed["job_id"]
    job: dict[str, Any] = {}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        job = api.get(f"/api/jobs/{confirmed['job_id']}", headers=headers).json()
        if job["status"] not in ("queued", "running"):
            break
        assert worker.alive(), worker.log.read_text()
        time.sleep(0.2)
    assert (job["status"], job["done"], job["failed"], job["remaining"]) == (
        "succeeded",
        6,
        0,
        0,
    ), job
    grants = api.get("/api/grants/table/main.learning.students", headers=headers).json()["grants"]
    assert {"principal": "engineers", "privileges": ["SELECT"], "inherited_from": None} in grants
    assert (
        api.get(f"/api/proposals/{proposal['id']}", headers=headers).json()["status"] == "executed"
    )
