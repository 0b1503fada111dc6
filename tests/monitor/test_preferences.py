"""Each user's health preferences: remembered from chat in the state store, applied to later
answers, renewed by setting again, forgotten on request or when they expire."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lakechat.monitor.memory import PreferenceStore
from lakechat.settings import default_lakehouse_path
from lakechat.store.database import StateStore
from tests.conftest import issue_key


def test_preferences_expire_and_renew(migrated: StateStore) -> None:
    now = [dt.datetime(2026, 3, 1, tzinfo=dt.UTC)]
    memory = PreferenceStore(migrated, ttl_days=30, clock=lambda: now[0])
    memory.set("ana", "t1", "detail", "summary")
    memory.set("ana", "t1", "workspace", "prod-analytics")
    assert memory.get("ana") == {"detail": "summary", "workspace": "prod-analytics"}
    assert memory.get("ben") == {}
    now[0] += dt.timedelta(days=20)
    memory.set("ana", "t1", "detail", "detail")  # renewed for 30 more days
    now[0] += dt.timedelta(days=15)
    assert memory.get("ana") == {"detail": "detail"}
    memory.forget("ana")
    assert memory.get("ana") == {}


@pytest.mark.parametrize(("key", "value", "words"), [("color", "red", "no preference"),
                                                    ("detail", "loud", "summary, detail")])  # fmt: skip
def test_unknown_preferences_are_refused(
    migrated: StateStore, key: str, value: str, words: str
) -> None:
    from lakechat.errors import BadRequest

    with pytest.raises(BadRequest, match=words):
        PreferenceStore(migrated, 30).set("ana", None, key, value)


@pytest.fixture
def client(make_client, make_settings, tpch_home: Path) -> TestClient:  # type: ignore[no-untyped-def]
    return make_client(  # type: ignore[no-any-return]
        make_settings(lakehouse_path=default_lakehouse_path(tpch_home))
    )


def chat(client: TestClient, key: str, message: str) -> dict[str, object]:
    got = client.post("/api/chat", json={"message": message}, headers={"X-API-Key": key})
    assert got.status_code == 200, got.text
    return got.json()  # type: ignore[no-any-return]


def test_a_preferred_workspace_applies_to_later_answers(client: TestClient) -> None:
    key, other = issue_key(client, role="viewer"), issue_key(client, role="viewer")
    before = chat(client, key, "Why did costs spike yesterday?")
    told = chat(client, key, "My workspace is ml-platform")
    assert "ml-platform" in str(told["answer"]) and told["preferences"] == {
        "workspace": "ml-platform"
    }
    after = chat(client, key, "Why did costs spike yesterday?")
    assert "prod-analytics" in str(before["answer"])
    assert "prod-analytics" not in str(after["answer"])  # the spike is in another workspace
    assert "prod-analytics" in str(chat(client, other, "Why did costs spike yesterday?")["answer"])
    chat(client, key, "use all workspaces")
    assert "prod-analytics" in str(chat(client, key, "Why did costs spike yesterday?")["answer"])


def test_summary_or_detail_and_bad_workspace(client: TestClient) -> None:
    key = issue_key(client, role="viewer")
    chat(client, key, "I prefer detailed answers")
    detailed = str(chat(client, key, "Any security concerns?")["answer"])
    chat(client, key, "from now on give me short summaries")
    short = str(chat(client, key, "Any security concerns?")["answer"])
    assert detailed.count("\n") > short.count("\n")
    refused = chat(client, key, "my workspace is atlantis")
    assert refused["status"] == "error" and "the workspaces are" in str(refused["answer"])
    assert "no longer remember" in str(chat(client, key, "forget my preferences")["answer"])


@pytest.mark.parametrize(
    "message",
    [
        "give me everything about orders in 1995",
        "I work on sales reports; what is net revenue by customer region in 1995?",
    ],
)
def test_questions_about_the_data_are_not_preferences(client: TestClient, message: str) -> None:
    key = issue_key(client, role="viewer")
    answer = chat(client, key, message)
    assert "preferences" not in answer and answer["plan"]["type"] != "health"  # type: ignore[index]
