"""When an alert rule runs: a cron expression (``*/5 * * * *``) or ``every 15m``.

``every N`` slots are aligned to whole multiples of N since the Unix epoch, so every
replica computes the same slots and the state store's claim lets one of them run each.
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


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: a fixed interval, or a cron expression (UTC)."""

    text: str
    interval_seconds: int | None = None
    cron: str | None = None

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """``text`` as a schedule; ValueError saying what is accepted when it is neither."""
        cleaned = " ".join(str(text).split())
        every = _EVERY.match(cleaned)
        if every:
            seconds = int(every.group(1)) * _UNIT_SECONDS[every.group(2).lower()]
            if seconds < MIN_INTERVAL_SECONDS:
                raise ValueError(
                    f"{text!r} is more often than once a minute; use 'every 1m' or more"
                )
            return cls(cleaned, interval_seconds=seconds)
        if len(cleaned.split()) == 5 and croniter.is_valid(cleaned):
            return cls(cleaned, cron=cleaned)
        raise ValueError(
            f"{text!r} is neither a cron expression (5 fields, e.g. '*/5 * * * *') "
            "nor an interval ('every 15m', 'every 1h', 'every 1d')"
        )

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
