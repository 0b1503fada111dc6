"""Each rule's state, its episodes and notifications, kept in the state store.

An episode: ``ok`` -> ``triggered`` (notify once) -> still triggered (no notice) ->
``resolved`` (notify once) -> ``ok``. The change of state is a conditional UPDATE, so two
runs of one rule at once (two replicas, or the CLI beside the server) record it, and
notify, once. Each notification is a delivery row per channel, ``pending`` until sent:
a failed send keeps it pending (with the reason) for the next run, until it is delivered
or ALERT_DELIVERY_MAX_ATTEMPTS is used up (``failed``). Any exception a send raises is a
failed attempt: none leaves the delivery stuck in ``sending``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Update, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lakechat.errors import first_line
from lakechat.monitor.alerts.notify import DeliveryFailed, Notice, Notifier, shown_target
from lakechat.monitor.alerts.rules import AlertRule, EmailChannel
from lakechat.store.database import StateStore
from lakechat.store.models import AlertDeliveryRow, AlertEventRow, AlertStateRow

log = logging.getLogger(__name__)

#: a delivery marked ``sending`` longer than this was cut off (a crash): it is sent again
SENDING_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Recorded:
    """What one run of a rule changed: its state and the transition, if any."""

    state: str
    transition: str | None


class AlertHistory:
    def __init__(self, store: StateStore, max_attempts: int = 20) -> None:
        self.store = store
        self.max_attempts = max_attempts
        #: each rule's last problem claiming it, so it is logged once, not every tick
        self._claim_problems: dict[str, str] = {}

    def _ensure(self, rule: AlertRule, now: datetime) -> None:
        with self.store.session() as session:
            if session.get(AlertStateRow, rule.name) is not None:
                return
        try:
            with self.store.session() as session:
                session.add(
                    AlertStateRow(rule=rule.name, state="ok", since=now, schedule=rule.schedule,
                                  next_run_at=rule.timing.next_after(now), runs=0)
                )  # fmt: skip
        except IntegrityError:  # another replica made it first
            pass

    def record(
        self, rule: AlertRule, *, value: float | None, met: bool, message: str, now: datetime
    ) -> Recorded:
        """One evaluation of ``rule``; a change of state is an event with its deliveries."""
        self._ensure(rule, now)
        state = "triggered" if met else "ok"
        name = rule.name
        with self.store.session() as session:
            changed = _updated(
                session,
                update(AlertStateRow)
                .where(AlertStateRow.rule == name, AlertStateRow.state != state)
                .values(state=state, since=now),
            )
            session.execute(
                update(AlertStateRow)
                .where(AlertStateRow.rule == name)
                .values(last_run_at=now, last_value=value, last_error=None,
                        runs=AlertStateRow.runs + 1)
            )  # fmt: skip
            if changed != 1:
                return Recorded(state, None)
            kind = "triggered" if met else "resolved"
            event = AlertEventRow(rule=name, time=now, kind=kind, severity=rule.severity,
                                  value=value, condition=str(rule.condition), message=message)  # fmt: skip
            session.add(event)
            session.flush()
            for channel in rule.notify:
                target = ",".join(channel.to) if isinstance(channel, EmailChannel) else channel.url
                session.add(
                    AlertDeliveryRow(event_id=event.id, rule=name, channel=channel.type,
                                     target=target, status="pending", attempts=0, created_at=now)
                )  # fmt: skip
        return Recorded(state, kind)

    def record_error(self, rule: AlertRule, error: str, now: datetime) -> Recorded:
        """A run that could not evaluate: the state stays; a new error is an event."""
        self._ensure(rule, now)
        with self.store.session() as session:
            row = session.get(AlertStateRow, rule.name)
            assert row is not None
            if row.last_error != error:
                session.add(AlertEventRow(rule=rule.name, time=now, kind="error",
                                          severity=rule.severity, value=None,
                                          condition=str(rule.condition), message=error))  # fmt: skip
            row.last_error, row.last_run_at, row.runs = error, now, row.runs + 1
            return Recorded(row.state, None)

    def deliver_pending(
        self, notifier: Notifier, now: datetime, rules: Iterable[str] | None = None
    ) -> list[dict[str, Any]]:
        """Send every pending notification (of ``rules``, or all), oldest first."""
        query = select(AlertDeliveryRow, AlertEventRow).join(
            AlertEventRow, AlertEventRow.id == AlertDeliveryRow.event_id
        )
        query = query.where(AlertDeliveryRow.status.in_(("pending", "sending")))
        if rules is not None:
            query = query.where(AlertDeliveryRow.rule.in_(list(rules)))
        with self.store.session() as session:
            found = [(d, e) for d, e in session.execute(query.order_by(AlertDeliveryRow.id))]
        return [
            outcome
            for delivery, event in found
            if (outcome := self._attempt(notifier, delivery, event, now)) is not None
        ]

    def _attempt(
        self, notifier: Notifier, delivery: AlertDeliveryRow, event: AlertEventRow, now: datetime
    ) -> dict[str, Any] | None:
        row = AlertDeliveryRow
        with self.store.session() as session:  # claim it: one sender per delivery
            claimed = _updated(
                session,
                update(row)
                .where(row.id == delivery.id, or_(
                    row.status == "pending",
                    (row.status == "sending") & (row.last_attempt_at < now - SENDING_LEASE)))
                .values(status="sending", attempts=row.attempts + 1, last_attempt_at=now),
            )  # fmt: skip
        if claimed != 1:
            return None
        notice = Notice(event.rule, event.kind, event.severity, event.value, event.condition,
                        event.message, event.time)  # fmt: skip
        attempts = delivery.attempts + 1
        status, error = "delivered", None
        shown = shown_target(delivery.channel, delivery.target)
        try:
            notifier.send(delivery.channel, delivery.target, notice)
        except Exception as exc:  # whatever went wrong, the attempt is recorded, not wedged
            status = "failed" if attempts >= self.max_attempts else "pending"
            if isinstance(exc, DeliveryFailed):
                error = str(exc)
                log.warning("alert %s: %s delivery failed (attempt %d): %s",
                            event.rule, delivery.channel, attempts, error)  # fmt: skip
            else:  # a bug, or a target no check caught: its reason, without the target
                reason = first_line(exc).replace(delivery.target, shown)
                error = f"{type(exc).__name__} sending to {shown}: {reason}"
                log.exception("alert %s: %s delivery failed (attempt %d): %s",
                              event.rule, delivery.channel, attempts, error)  # fmt: skip
        with self.store.session() as session:
            session.execute(
                update(row).where(row.id == delivery.id).values(
                    status=status, last_error=error,
                    delivered_at=now if status == "delivered" else None)
            )  # fmt: skip
        return {"rule": event.rule, "event": event.kind, "channel": delivery.channel,
                "target": shown, "status": status, "attempts": attempts,
                "error": error}  # fmt: skip

    def claim_due(self, rules: Iterable[AlertRule], now: datetime) -> list[str]:
        """The enabled rules due at ``now`` that this process claimed (moving their next run
        on); a rule whose schedule changed gets its next run from the new schedule.

        A rule that cannot be claimed (its schedule has no next run, its row does not fit)
        is logged, once per distinct problem, and skipped: the others are still claimed. If
        anything else escapes, the claims made so far are given back before it does.
        """
        claimed: list[str] = []
        try:
            for rule in rules:
                if not rule.enabled:
                    continue
                try:
                    won = self._claim(rule, now)
                except Exception as exc:
                    self._skipped(rule.name, exc)
                    continue
                self._claim_problems.pop(rule.name, None)
                if won:
                    claimed.append(rule.name)
        except BaseException:
            if claimed:
                self.release(claimed, now)
            raise
        return claimed

    def _claim(self, rule: AlertRule, now: datetime) -> bool:
        self._ensure(rule, now)
        following = rule.timing.next_after(now)
        state = AlertStateRow
        with self.store.session() as session:
            rescheduled = _updated(
                session,
                update(state)
                .where(state.rule == rule.name, state.schedule != rule.schedule)
                .values(schedule=rule.schedule, next_run_at=following),
            )
            if rescheduled:
                return False
            won = _updated(
                session,
                update(state)
                .where(state.rule == rule.name, state.next_run_at <= now)
                .values(next_run_at=following),
            )
        return won == 1

    def _skipped(self, name: str, exc: Exception) -> None:
        problem = f"{type(exc).__name__}: {first_line(exc)}"
        if self._claim_problems.get(name) != problem:
            log.error("alert rule %s cannot be scheduled, so it is skipped: %s", name, problem)
        self._claim_problems[name] = problem

    def release(self, names: Iterable[str], at: datetime) -> None:
        """Give back claims whose job could not be submitted: due again at ``at``."""
        with self.store.session() as session:
            session.execute(
                update(AlertStateRow)
                .where(AlertStateRow.rule.in_(list(names)))
                .values(next_run_at=at)
            )

    def states(self) -> dict[str, AlertStateRow]:
        with self.store.session() as session:
            return {row.rule: row for row in session.scalars(select(AlertStateRow))}

    def events(self, rule: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Events newest first, each with its deliveries."""
        query = select(AlertEventRow).order_by(AlertEventRow.id.desc()).limit(limit)
        if rule is not None:
            query = query.where(AlertEventRow.rule == rule)
        with self.store.session() as session:
            events = list(session.scalars(query))
            ids = [e.id for e in events]
            deliveries = list(
                session.scalars(
                    select(AlertDeliveryRow)
                    .where(AlertDeliveryRow.event_id.in_(ids))
                    .order_by(AlertDeliveryRow.id)
                )
            )
        by_event: dict[int, list[dict[str, Any]]] = {}
        for d in deliveries:
            by_event.setdefault(d.event_id, []).append(
                {"channel": d.channel, "target": shown_target(d.channel, d.target),
                 "status": d.status, "attempts": d.attempts, "last_error": d.last_error,
                 "last_attempt_at": _iso(d.last_attempt_at), "delivered_at": _iso(d.delivered_at)}
            )  # fmt: skip
        return [
            {"id": e.id, "rule": e.rule, "time": _iso(e.time), "kind": e.kind,
             "severity": e.severity, "value": e.value, "condition": e.condition,
             "message": e.message, "deliveries": by_event.get(e.id, [])}
            for e in events
        ]  # fmt: skip


def _updated(session: Session, statement: Update) -> int:
    """Rows an UPDATE changed: how a conditional UPDATE says whether it won."""
    return int(cast("CursorResult[Any]", session.execute(statement)).rowcount)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
