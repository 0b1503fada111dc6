"""When an alert rule runs: a cron expression (``*/5 * * * *``) or ``every 15m``.

``every N`` slots are aligned to whole multiples of N since the Unix epoch, so every
replica computes the same slots and the state store's claim lets one of them run each.
A schedule that never comes (``0 9 30 2 *``: 30 February) or lies beyond the calendar
(``every 99999999999999d``) is refused when it is parsed, not when it is due.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from croniter import croniter

_EVERY = re.compile(r"^every\s+(\d+)\s*(s|m|h|d)$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: rules run at most this often; a smaller interval is refused
MIN_INTERVAL_SECONDS = 60
#: the longest schedule text: the state store keeps it in alert_state.schedule (200)
MAX_LENGTH = 200


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: a fixed interval, or a cron expression (UTC)."""

    text: str
    interval_seconds: int | None = None
    cron: str | None = None

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """``text`` as a schedule; ValueError saying what is accepted when it is neither,
        or when it never comes."""
        cleaned = " ".join(str(text).split())
        if len(cleaned) > MAX_LENGTH:
            raise ValueError(
                f"a schedule is at most {MAX_LENGTH} characters ({len(cleaned)} given)"
            )
        every = _EVERY.match(cleaned)
        if every:
            seconds = int(every.group(1)) * _UNIT_SECONDS[every.group(2).lower()]
            if seconds < MIN_INTERVAL_SECONDS:
                raise ValueError(
                    f"{text!r} is more often than once a minute; use 'every 1m' or more"
                )
            parsed = cls(cleaned, interval_seconds=seconds)
        elif len(cleaned.split()) == 5 and croniter.is_valid(cleaned):
            parsed = cls(cleaned, cron=cleaned)
        else:
            raise ValueError(
                f"{text!r} is neither a cron expression (5 fields, e.g. '*/5 * * * *') "
                "nor an interval ('every 15m', 'every 1h', 'every 1d')"
            )
        try:
            parsed.next_after(datetime.now(UTC))
        except (ValueError, OverflowError):  # croniter's CroniterBadDateError is a ValueError
            why = "no date matches it" if parsed.cron else "its next slot is after the year 9999"
            raise ValueError(f"{cleaned!r} never comes: {why}") from None
        return parsed

    def next_after(self, moment: datetime) -> datetime:
        """The first slot strictly after ``moment`` (UTC)."""
        moment = moment.astimezone(UTC)
        if self.interval_seconds is not None:
            elapsed = int((moment - _EPOCH).total_seconds())
            slots = elapsed // self.interval_seconds + 1
            return _EPOCH + timedelta(seconds=slots * self.interval_seconds)
        assert self.cron is not None
        following: datetime = croniter(self.cron, moment).get_next(datetime)
        return following.astimezone(UTC)
