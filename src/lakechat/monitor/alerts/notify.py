"""Sending an alert: Slack-compatible JSON to a webhook, or an e-mail over SMTP.

A failed send raises ``DeliveryFailed`` with a reason fit to record; the caller keeps the
notification pending and tries again on a later run. A webhook's URL is often its secret
(Slack's are), so reasons and listings show only its scheme and host.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx

from lakechat.settings import Settings


class DeliveryFailed(Exception):
    """A notification could not be delivered; the message says why."""


@dataclass(frozen=True)
class Notice:
    """What one notification says: a rule triggered or resolved."""

    rule: str
    kind: str
    severity: str
    value: float | None
    condition: str
    message: str
    time: datetime

    @property
    def title(self) -> str:
        if self.kind == "resolved":
            return f"Resolved: {self.rule}"
        return f"[{self.severity.upper()}] Alert: {self.rule}"

    def text(self) -> str:
        return f"{self.title}\n{self.message}"

    def slack(self) -> dict[str, Any]:
        """A payload Slack's incoming webhooks (and Mattermost, Teams' Slack mode) accept."""
        shown = "no data" if self.value is None else f"{self.value:g}"
        return {
            "text": self.text(),
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": self.title[:150]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": self.message}},
                {
                    "type": "context",
                    "elements": [
                        {
                            "type": "mrkdwn",
                            "text": f"value {shown}, condition {self.condition}, "
                            f"severity {self.severity}, {self.time.isoformat()} (lakechat)",
                        }
                    ],
                },
            ],
        }


def shown_target(channel: str, target: str) -> str:
    """A channel's target as listings show it: a webhook's scheme and host only."""
    if channel != "webhook":
        return target
    parts = urlsplit(target)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}/…"


class Notifier:
    """Sends notices with the settings' timeouts and SMTP server."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, channel: str, target: str, notice: Notice) -> None:
        if channel == "webhook":
            self._post(target, notice)
        elif channel == "email":
            self._mail([a for a in target.split(",") if a], notice)
        else:
            raise DeliveryFailed(f"no channel of type {channel!r}")

    def _post(self, url: str, notice: Notice) -> None:
        where = shown_target("webhook", url)
        try:
            response = httpx.post(
                url, json=notice.slack(), timeout=self.settings.alert_webhook_timeout_seconds
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"webhook {where}: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 300:
            body = response.text.strip().replace("\n", " ")[:200]
            raise DeliveryFailed(f"webhook {where} answered HTTP {response.status_code}: {body}")

    def _mail(self, recipients: list[str], notice: Notice) -> None:
        s = self.settings
        if not s.smtp_host:
            raise DeliveryFailed("SMTP_HOST is not set, so alert e-mails cannot be sent")
        message = EmailMessage()
        message["Subject"] = f"[lakechat] {notice.title}"
        message["From"] = s.smtp_from
        message["To"] = ", ".join(recipients)
        message.set_content(
            f"{notice.message}\n\nvalue: {notice.value}\ncondition: {notice.condition}\n"
            f"severity: {notice.severity}\ntime: {notice.time.isoformat()}\n"
        )
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
                if s.smtp_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.smtp_username:
                    password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                    smtp.login(s.smtp_username, password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            reason = str(exc).strip() or type(exc).__name__
            raise DeliveryFailed(f"SMTP {s.smtp_host}:{s.smtp_port}: {reason}") from None
