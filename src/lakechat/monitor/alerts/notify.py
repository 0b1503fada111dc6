"""Sending an alert: Slack-compatible JSON to a webhook, or an e-mail over SMTP.

A failed send raises ``DeliveryFailed`` with a reason fit to record; the caller keeps the
notification pending and tries again on a later run. A webhook's URL is often its secret
(Slack's are), so reasons and listings show only its scheme and host.

``webhook_url_problem`` and ``usable_address`` are the checks alerts.yaml's channels pass
when they are loaded, so a URL httpx cannot send to, or an address the e-mail package
cannot write, is refused there rather than failing every delivery.
"""

from __future__ import annotations

import re
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


#: how a webhook whose URL cannot even be split is shown
INVALID_WEBHOOK = "webhook (invalid URL)"


def shown_target(channel: str, target: str) -> str:
    """A channel's target as listings show it: a webhook's scheme and host only. Never
    raises: a delivery row written before its URL was checked is shown all the same."""
    if channel != "webhook":
        return target
    return scheme_and_host(target) or INVALID_WEBHOOK


def scheme_and_host(url: str) -> str | None:
    """``https://host:port/…``: what may be shown of a URL whose path may be a secret;
    None when there is no printable host to show."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return None
    try:
        port = parts.port
    except ValueError:  # out of range, or not a number: the host is still worth showing
        port = None
    host = f"[{host}]" if ":" in host else host  # an IPv6 address
    shown = f"{parts.scheme}://{host}{f':{port}' if port else ''}/…"
    return shown if shown.isprintable() else None


def webhook_url_problem(url: str) -> str | None:
    """What keeps ``url`` from being POSTed to (None when nothing does); it never quotes
    the URL, whose path is often the secret."""
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return "contains spaces or control characters"
    if not re.match(r"https?://", url, re.IGNORECASE):
        return "is not an http(s) URL"
    try:
        host = httpx.URL(url).host
        port = urlsplit(url).port
    except (httpx.InvalidURL, ValueError) as exc:  # IDNAError and a bad port are ValueErrors
        return f"is not a valid URL ({_without(url, str(exc))})"
    if not host:
        return "has no host"
    try:
        host.encode("idna")  # what the socket layer does: an empty or 64+ letter label fails
    except UnicodeError:
        return "has a host that is not a valid name"
    if port == 0:
        return "has port 0"
    return None


def usable_address(address: str) -> bool:
    """``address`` is one plain e-mail address (``someone@example.com``) the e-mail package
    writes as it is: no display name, no second address, nothing it would mangle."""
    message = EmailMessage()
    try:
        message["To"] = address
        header = message["To"]
        found = header.addresses
    except Exception:  # the e-mail parser also raises IndexError, AttributeError...
        return False
    return len(found) == 1 and found[0].addr_spec == address and not header.defects


def _without(url: str, text: str) -> str:
    """``text`` without ``url`` in it: a reason may quote the URL it refuses."""
    return text.replace(url, "the URL")


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
        where = scheme_and_host(url) or "(invalid URL)"
        try:
            response = httpx.post(
                url, json=notice.slack(), timeout=self.settings.alert_webhook_timeout_seconds
            )
        # httpx.InvalidURL is no HTTPError, and a host IDNA cannot encode is a UnicodeError
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            reason = _without(url, str(exc))
            raise DeliveryFailed(f"webhook {where}: {type(exc).__name__}: {reason}") from None
        if response.status_code >= 300:
            body = response.text.strip().replace("\n", " ")[:200]
            raise DeliveryFailed(f"webhook {where} answered HTTP {response.status_code}: {body}")

    def _mail(self, recipients: list[str], notice: Notice) -> None:
        s = self.settings
        if not s.smtp_host:
            raise DeliveryFailed("SMTP_HOST is not set, so alert e-mails cannot be sent")
        if not usable_address(s.smtp_from):
            raise DeliveryFailed(f"SMTP_FROM={s.smtp_from!r} is not one plain e-mail address")
        unusable = [a for a in recipients if not usable_address(a)]
        if unusable or not recipients:
            raise DeliveryFailed(
                f"not e-mail addresses: {', '.join(map(repr, unusable)) or 'none'}"
            )
        try:
            message = EmailMessage()
            message["Subject"] = f"[lakechat] {notice.title}"
            message["From"] = s.smtp_from
            message["To"] = ", ".join(recipients)
            message.set_content(
                f"{notice.message}\n\nvalue: {notice.value}\ncondition: {notice.condition}\n"
                f"severity: {notice.severity}\ntime: {notice.time.isoformat()}\n"
            )
        except Exception as exc:  # the e-mail package raises many kinds
            raise DeliveryFailed(
                f"the e-mail could not be written: {type(exc).__name__}: {exc}"
            ) from None
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
