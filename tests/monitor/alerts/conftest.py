"""Real local servers for alert notifications (an HTTP receiver, an aiosmtpd SMTP server),
request-log rows that make the assistant's own rules trigger, and alert services."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from lakechat.monitor.alerts.service import AlertService
from lakechat.settings import Settings
from lakechat.store.database import StateStore
from lakechat.store.models import RequestLogRow
from tests.conftest import free_port

#: the instant the tests' runs happen at (rules get ``now=`` explicitly)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@dataclass
class Receiver:
    """A webhook receiver: every JSON body it was sent, and the status it answers."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    port = free_port()
    receiver = Receiver(f"http://127.0.0.1:{port}/hooks/T000/B000/secret-token")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if receiver.status < 300:
                receiver.received.append(json.loads(body))
            self.send_response(receiver.status)
            self.end_headers()
            self.wfile.write(b"ok" if receiver.status < 300 else b"no_service")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@dataclass
class Mailbox:
    port: int
    messages: list[tuple[str, list[str], str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content.decode()))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    mailbox = Mailbox(free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture
def smtp_settings(make_settings: Callable[..., Settings], smtp: Mailbox) -> Settings:
    return make_settings(
        smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_starttls=False,
        smtp_from="lakechat@example.com",
    )  # fmt: skip


def log_requests(
    store: StateStore, *, ok: int = 0, errors: int = 0, at: datetime = NOW, latency_ms: float = 50
) -> None:
    """Assistant requests in the request log, just before ``at``."""
    with store.session() as session:
        for index in range(ok + errors):
            failed = index >= ok
            session.add(RequestLogRow(
                request_id=f"r{at.timestamp()}-{index}", time=at - timedelta(minutes=5),
                method="POST", route="/api/chat", http_status=500 if failed else 200,
                status="error" if failed else "answered", latency_ms=latency_ms,
                plan_type="SemanticQuery",
            ))  # fmt: skip


def write_rules(settings: Settings, text: str) -> Path:
    path = settings.home / "alerts.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def make_alerts(migrated: StateStore) -> Iterator[Callable[[Settings], AlertService]]:
    """An alert service on the migrated store (and the settings given)."""
    built: list[AlertService] = []

    def build(settings: Settings) -> AlertService:
        alerts = AlertService.build(settings, migrated)
        built.append(alerts)
        return alerts

    yield build
    for alerts in built:
        alerts.close()
