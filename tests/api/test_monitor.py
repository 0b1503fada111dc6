"""The platform-health API as a client uses it: the overview, the analyzers, one analysis,
the guide's five quick questions in chat and through ``POST /invocations`` (with a
follow-up in the same thread), scopes, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lakechat.settings import default_lakehouse_path
from tests.conftest import issue_key


@pytest.fixture
def client(make_client, make_settings, tpch_home: Path) -> TestClient:  # type: ignore[no-untyped-def]
    return make_client(  # type: ignore[no-any-return]
        make_settings(lakehouse_path=default_lakehouse_path(tpch_home))
    )


@pytest.fixture
def incidents(tpch_home: Path) -> dict[str, Any]:
    path = default_lakehouse_path(tpch_home) / "incidents.json"
    return json.loads(path.read_text())  # type: ignore[no-any-return]


@pytest.fixture
def headers(client: TestClient) -> dict[str, str]:
    return {"X-API-Key": issue_key(client, role="viewer")}


def entities(incidents: dict[str, Any], domain: str, kind: str | None = None) -> set[str]:
    return {
        i["entity"]
        for i in incidents["incidents"]
        if i["domain"] == domain and (kind is None or i["kind"] == kind)
    }


def test_overview_names_every_incident(
    client: TestClient, headers: dict[str, str], incidents: dict[str, Any]
) -> None:
    got = client.get("/api/monitor/overview", params={"as_of": incidents["as_of"]}, headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    found = {(f["domain"], f["entity"]) for f in body["findings"]}
    for incident in incidents["incidents"]:
        assert (incident["domain"], incident["entity"]) in found, incident
    assert body["domains"]["cost"]["status"] == "attention"
    assert all(f["sql"].startswith(("WITH", "SELECT")) for f in body["findings"])
    assert body["attention"][0]["severity"] == "high"


def test_overview_of_some_domains_and_one_workspace(
    client: TestClient, headers: dict[str, str], incidents: dict[str, Any]
) -> None:
    (workspace,) = entities(incidents, "cost", "spend_spike")
    got = client.get(
        "/api/monitor/overview",
        params={"as_of": incidents["as_of"], "domain": ["cost"], "workspace": workspace},
        headers=headers,
    ).json()
    assert list(got["domains"]) == ["cost"] and got["workspace"]["name"] == workspace
    assert {f["entity"] for f in got["findings"]} >= {workspace}


def test_analyzers_and_one_analysis(
    client: TestClient, headers: dict[str, str], incidents: dict[str, Any]
) -> None:
    listed = client.get("/api/monitor/analyzers", headers=headers).json()["analyzers"]
    names = {a["name"] for a in listed}
    assert {"cost.spend_spike", "reliability.flaky_jobs", "security.failed_logins",
            "performance.queue_time", "data_quality.stale_tables"} <= names  # fmt: skip
    got = client.post(
        "/api/monitor/analyzers/reliability.flaky_jobs",
        json={"params": {"days": 14}, "as_of": incidents["as_of"]},
        headers=headers,
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["columns"][0] == "job" and body["rows"]
    assert {f["entity"] for f in body["findings"]} == entities(
        incidents, "reliability", "flaky_job"
    )


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "words"),
    [
        ("get", "/api/monitor/overview", {"params": {"domain": "money"}}, 400, "domains are"),
        ("get", "/api/monitor/overview", {"params": {"as_of": "2001-01-01"}}, 400, "no data for"),
        ("get", "/api/monitor/overview", {"params": {"as_of": "1999-01-01"}}, 400, "before 2000"),
        ("get", "/api/monitor/overview", {"params": {"as_of": "9999-12-31"}}, 400, "in the future"),
        (
            "post",
            "/api/monitor/analyzers/cost.spend_spike",
            {"json": {"params": {"threshold": "NaN"}}},
            400,
            "a number",
        ),
        (
            "post",
            "/api/monitor/analyzers/performance.slow_queries",
            {"json": {"params": {"threshold_seconds": 10**300}}},
            400,
            "at most",
        ),
        ("get", "/api/monitor/overview", {"params": {"as_of": "soon"}}, 400, "YYYY-MM-DD"),
        (
            "get",
            "/api/monitor/overview",
            {"params": {"workspace": "atlantis"}},
            404,
            "workspaces are",
        ),
        ("post", "/api/monitor/analyzers/cost.nothing", {"json": {}}, 404, "cost.spend_spike"),
        (
            "post",
            "/api/monitor/analyzers/cost.spend_spike",
            {"json": {"params": {"x": 1}}},
            400,
            "no parameter",
        ),
        (
            "post",
            "/api/monitor/analyzers/cost.spend_spike",
            {"json": {"params": {"threshold": 0}}},
            400,
            "at least",
        ),
        ("post", "/invocations", {"json": {"input": []}}, 422, ""),
        (
            "post",
            "/invocations",
            {"json": {"input": [{"role": "system", "content": "hi"}]}},
            400,
            "role 'user'",
        ),
    ],
)
def test_bad_input_gets_the_envelope(
    client: TestClient, headers: dict[str, str], method: str, path: str,
    kwargs: dict[str, Any], status: int, words: str,
) -> None:  # fmt: skip
    got = getattr(client, method)(path, headers=headers, **kwargs)
    assert got.status_code == status, got.text
    assert set(got.json()["error"]) >= {"code", "message", "request_id"}
    assert words in got.json()["error"]["message"]


def test_a_key_without_health_read_is_refused(client: TestClient) -> None:
    key = issue_key(client, role="viewer", scopes=["data:read"])
    got = client.get("/api/monitor/overview", headers={"X-API-Key": key})
    assert got.status_code == 403 and got.json()["error"]["code"] == "missing_scope"
    answer = client.post(
        "/api/chat", json={"message": "Any security concerns?"}, headers={"X-API-Key": key}
    ).json()
    assert answer["domain"] != "security"


def invoke(
    client: TestClient, headers: dict[str, str], text: str, thread: str | None = None
) -> dict[str, Any]:
    custom = {"user_id": "ana@example.com", **({"thread_id": thread} if thread else {})}
    got = client.post(
        "/invocations",
        json={"input": [{"role": "user", "content": text}], "custom_inputs": custom},
        headers=headers,
    )
    assert got.status_code == 200, got.text
    return got.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("question", "domain", "kinds"),
    [
        ("Why did costs spike yesterday?", "cost", ("spend_spike",)),
        ("Which jobs failed today?", "reliability", ("job_failed",)),
        ("Show me slow queries", "performance", ("long_spilling_queries",)),
        ("Any security concerns?", "security", ("failed_login_burst", "broad_grant",
                                                "service_principal_token", "first_sensitive_read")),
        ("Platform health overview", "platform", ("spend_spike", "queue_time", "failed_login_burst")),
    ],
)  # fmt: skip
def test_the_guides_quick_questions(
    client: TestClient, headers: dict[str, str], incidents: dict[str, Any],
    question: str, domain: str, kinds: tuple[str, ...],
) -> None:  # fmt: skip
    body = invoke(client, headers, question)
    text = body["output"][0]["content"][0]["text"]
    custom = body["custom_outputs"]
    assert body["output"][0]["type"] == "message" and custom["domain"] == domain
    assert custom["source"] == "health" and custom["thread_id"]
    assert any(s["type"] == "analyzer" for s in custom["sources"])
    assert any(s["type"] == "system_table" for s in custom["sources"])
    assert 0 < custom["confidence"] <= 1
    for incident in incidents["incidents"]:
        if incident["kind"] in kinds:
            assert incident["entity"] in text, (incident, text)


def test_a_follow_up_in_the_same_thread(
    client: TestClient, headers: dict[str, str], incidents: dict[str, Any]
) -> None:
    first = invoke(client, headers, "Which jobs failed today?")
    thread = first["custom_outputs"]["thread_id"]
    failed = entities(incidents, "reliability", "job_failed")
    follow = invoke(client, headers, "Which of those failed most often?", thread)
    assert follow["custom_outputs"]["thread_id"] == thread
    rows = follow["custom_outputs"]["data"]["rows"]
    assert rows and {r[0] for r in rows} <= failed
    text = follow["output"][0]["content"][0]["text"]
    assert rows[0][0] in text


def test_chat_answers_health_questions_in_the_contract(
    client: TestClient, headers: dict[str, str], incidents: dict[str, Any]
) -> None:
    answer = client.post(
        "/api/chat", json={"message": "are the cost spike and the job failures related?"},
        headers=headers,
    ).json()  # fmt: skip
    assert answer["status"] == "answered" and answer["plan"]["type"] == "health"
    assert set(answer["domains"]) == {"cost", "reliability"}
    assert "related" in answer["answer"]
    # a number a semantic model answers stays a data answer
    data = client.post(
        "/api/chat", json={"message": "What did each workspace spend yesterday?"}, headers=headers
    ).json()
    assert data["plan"]["type"] == "semantic"


def test_each_user_of_a_shared_key_has_their_own_preferences(
    client: TestClient, headers: dict[str, str], incidents: dict[str, Any]
) -> None:
    (spiked,) = entities(incidents, "cost", "spend_spike")
    other = next(w for w in ("prod-analytics", "ml-platform", "dev-sandbox") if w != spiked)

    def say(user: str, text: str) -> str:
        got = client.post(
            "/invocations",
            json={"input": [{"role": "user", "content": text}], "custom_inputs": {"user_id": user}},
            headers=headers,
        )
        assert got.status_code == 200, got.text
        return str(got.json()["output"][0]["content"][0]["text"])

    assert other in say("ana", f"my workspace is {other}")
    assert spiked not in say("ana", "Why did costs spike yesterday?")
    assert spiked in say("ben", "Why did costs spike yesterday?")
    bad = client.post(
        "/invocations",
        json={"input": [{"role": "user", "content": "hi"}], "custom_inputs": {"user_id": 7}},
        headers=headers,
    )
    assert bad.status_code == 400 and "user_id" in bad.json()["error"]["message"]
