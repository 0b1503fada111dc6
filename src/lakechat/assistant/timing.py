"""The time roles: which date a time phrase limits, its grains, and period comparisons.

"shipped in 1995" limits the ship date, "monthly" groups the date a range is about, "vs
last year" adds the previous period and the growth. A follow-up's yearless month stays in
the year asked before ("and in April?" after March 1997).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date

from lakechat.assistant.plans import Match
from lakechat.assistant.reading import Found
from lakechat.assistant.roles import Roles
from lakechat.assistant.timephrases import Comparison, TimeMention

_GROWTH = re.compile(r"\b(?:growth|grow|grew|growing|change|changed|increase|decrease)\b", re.I)
#: verbs that say which date a time phrase is about, as the word stems to look for in the
#: time dimensions' names and synonyms
_VERB_STEMS = {
    "shipped": ("ship",), "ship": ("ship",), "sent": ("ship",), "ordered": ("order",),
    "placed": ("order",), "bought": ("order",), "purchased": ("order",), "sold": ("order",),
    "received": ("receipt", "receiv"), "delivered": ("deliver", "receipt"),
    "arrived": ("receipt", "deliver"), "committed": ("commit",), "promised": ("commit", "promis"),
    "ran": ("run", "start", "period"), "run": ("run", "start", "period"),
    "started": ("start",), "ended": ("end",), "finished": ("end",),
    "created": ("creat",), "used": ("usage",), "billed": ("usage",), "spent": ("usage",),
}  # fmt: skip


class TimeRoles(Roles):
    """Gives the question's time phrases their roles in the draft."""

    def _times(self) -> None:
        times = self.q.times
        comparison_spans = [(c.start, c.end) for c in times.comparisons]
        mentions = [
            m
            for m in times.mentions
            if not any(s <= m.start and m.end <= e for s, e in comparison_spans)
        ]
        d = self.draft
        if (mentions or times.grains or times.comparisons) and not self.time_dims:
            self.refusal = (
                f"{self.model.id} has no date, so I can't limit or group it by time "
                f"({', '.join(m.text for m in mentions) or 'a time grain'})"
            )
            return
        if mentions and self.followup:
            mentions = [self._in_previous_year(m) for m in mentions]
        if mentions:
            dims = [self._mention_dimension(m) for m in mentions]
            dim = dims[0]
            explicit = [m.range for m in mentions if isinstance(m.range, tuple)]
            if len(mentions) > 1 and len(explicit) == len(mentions):
                first = min(r[0] for r in explicit)
                last = max(r[1] for r in explicit)
                d.time_range = {"dimension": dim, "range": [first, last]}
            else:
                m = mentions[0]
                d.time_range = {
                    "dimension": dim,
                    "range": list(m.range) if isinstance(m.range, tuple) else m.range,
                }
            for m in mentions:
                d.matches.append(Match(phrase=m.text, kind="time", target=dim))
        for g in times.grains:
            dim = (d.time_range or {}).get("dimension") or self._default_time()
            d.dimensions = [x for x in d.dimensions if x[0] != dim]
            d.add_dimension(dim, g.grain)
            d.matches.append(Match(phrase=g.text, kind="grain", target=g.grain))
        for c in times.comparisons:
            self._comparison(c)
        grained = any(g for _, g in d.dimensions if g)
        base = next((n for n, c in d.measures if c is None), None)
        if not times.comparisons and _GROWTH.search(self.q.text) and base:
            if grained:
                d.add_measure(base, "growth")
            elif d.time_range is not None:
                # "how much did spend grow last month": against the month before
                d.add_measure(base, "previous_period")
                d.add_measure(base, "growth")

    def _in_previous_year(self, m: TimeMention) -> TimeMention:
        """ "How many orders in March 1997?" then "and in April?": April 1997, not this April."""
        previous = (self.previous_range or {}).get("range")
        if not isinstance(m.range, tuple) or re.search(r"\b\d{4}\b", m.text):
            return m
        if not isinstance(previous, list | tuple) or len(previous) != 2:
            return m
        year = int(str(previous[0])[:4])
        first, last = (date.fromisoformat(d) for d in m.range)
        if first.year != self.q.today.year or first.year == year:
            return m
        try:
            moved = (first.replace(year=year).isoformat(), last.replace(year=year).isoformat())
        except ValueError:  # 29 February
            return m
        return dataclasses.replace(m, range=moved, label=f"{m.label} {year}")

    def _comparison(self, c: Comparison) -> None:
        d = self.draft
        base = next((n for n, calc in d.measures if calc is None), None)
        if base is None:
            return
        dim = (d.time_range or {}).get("dimension") or self._default_time()
        if c.first is not None and c.second is not None:
            grain = c.grain or _unit(c.first.range, self.q.today) or "year"
            dim = self._mention_dimension(c.first)
            d.add_dimension(dim, grain)
            second = c.second.range
            d.time_range = {
                "dimension": dim,
                "range": list(second) if isinstance(second, tuple) else second,
            }
            d.add_measure(base, "growth")
        else:
            grained = any(g for _, g in d.dimensions if g)
            spans_more = (
                d.time_range is not None
                and c.grain is not None
                and (_unit(_range_of(d.time_range), self.q.today) != c.grain)
            )
            if (d.time_range is None and not grained) or (spans_more and not grained):
                d.add_dimension(dim, c.grain or "year")
            d.add_measure(base, "previous_period")
            d.add_measure(base, "growth")
        d.matches.append(Match(phrase=c.text, kind="calculation", target=c.kind))

    def _mention_dimension(self, m: TimeMention) -> str:
        chosen = self.mention_dimension.get(m.start)
        if chosen:
            return chosen
        if m.verb:
            stems = _VERB_STEMS.get(m.verb.lower(), (m.verb.lower()[:4],))
            for dim in self.time_dims:
                spelled = " ".join(
                    [
                        dim,
                        *(self.dims_by_name[dim].synonyms),
                        self.dims_by_name[dim].display_name or "",
                    ]
                ).lower()
                if any(stem in spelled for stem in stems):
                    return dim
        default = self._default_time()
        if len(self.time_dims) > 1:
            self.draft.assume(f"{m.label} means {self._title(default).lower()}", 0.99)
        return default

    def _default_time(self) -> str:
        return self.view.extras.default_time_dimension or self.time_dims[0]

    def _mention_near(self, f: Found) -> TimeMention | None:
        end_char = self.q.words[f.end - 1].end
        for mention in self.q.times.mentions:
            if 0 <= mention.start - end_char <= 12:
                return mention
        return None


def _range_of(time_range: dict[str, object]) -> str | tuple[str, str]:
    spec = time_range.get("range")
    if isinstance(spec, list | tuple) and len(spec) == 2:
        return (str(spec[0]), str(spec[1]))
    return str(spec)


def _unit(spec: str | tuple[str, str], today: date) -> str | None:
    """ "year", "quarter" or "month" when an explicit range is exactly one of those."""
    if not isinstance(spec, tuple):
        return None
    first, last = (date.fromisoformat(s) for s in spec)
    if first.day != 1:
        return None
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return {12: "year", 3: "quarter", 1: "month"}.get(months)
