"""Which health domains and analyzers a question is about, read from its words.

A message is a health question when it asks for a diagnosis ("why did costs spike",
"any security concerns?", "platform health overview", "which jobs are flaky?") rather than
a number a semantic model answers ("what did each workspace spend yesterday?").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lakechat.monitor.base import DOMAINS, Domain
from lakechat.monitor.registry import all_analyzers

DOMAIN_WORDS: dict[Domain, tuple[str, ...]] = {
    "cost": ("cost", "costs", "spend", "spending", "spent", "bill", "billing", "dbu", "dbus",
             "expensive", "budget", "money", "untagged"),
    "reliability": ("job", "jobs", "run", "runs", "pipeline", "pipelines", "flaky", "retries",
                    "workflow", "workflows"),
    "performance": ("slow", "query", "queries", "warehouse", "warehouses", "latency", "spill",
                    "spilling", "queue", "queueing", "queued", "performance"),
    "security": ("security", "secure", "login", "logins", "access", "permission",
                 "permissions", "grant", "grants", "token", "tokens", "suspicious", "breach",
                 "attack", "intrusion", "audit"),
    "data_quality": ("stale", "freshness", "fresh", "quality", "null", "nulls", "owner",
                     "owners", "ownerless", "unowned", "checks", "outdated"),
}  # fmt: skip
#: words that ask for a diagnosis
_DIAGNOSTIC = re.compile(
    r"\b(why|spike\w*|jump\w*|surge\w*|anomal\w*|concerns?|issues?|problems?|wrong|health|"
    r"healthy|overview|first|related|relate|correlat\w*|flaky|suspicious|risks?|risky|stale|"
    r"unowned|ownerless|without (?:an )?owners?|failed|failing|failures?|broke\w*|slow|"
    r"slowest|regress\w*|spill\w*|queue\w*|security|attack\w*|breach\w*|untagged|"
    r"alerts?|incidents?|going on|happening|worry|worried|attention)\b",
    re.IGNORECASE,
)
#: asks for a diagnosis even without naming an analysis ("any security concerns?")
_STRONG = re.compile(
    r"\b(why|spike\w*|anomal\w*|concerns?|issues?|problems?|wrong|health|healthy|overview|"
    r"first|related|correlat\w*|flaky|suspicious|risks?|risky|stale|security|attack\w*|"
    r"breach\w*|incidents?|attention|worr\w*|going on|happening)\b",
    re.IGNORECASE,
)
#: asks for a number a semantic model answers ("how many queries failed today?")
_NUMBER = re.compile(
    r"^\s*(how many|how much|count|total|sum|average|avg|what (?:is|was) the (?:total|number|"
    r"average|sum|count))\b",
    re.IGNORECASE,
)
#: names a period other than now: the analyzers' fixed windows would answer another one
_PERIOD = re.compile(
    r"\b(yesterday|last (?:week|month|quarter|year|\d+ \w+)|this (?:week|month|quarter|year)|"
    r"past \d+ \w+|since|between|\d{4}-\d{2}(?:-\d{2})?|(?:in|during) (?:jan|feb|mar|apr|may|"
    r"jun|jul|aug|sep|oct|nov|dec)\w*|by (?:day|week|month|hour))\b",
    re.IGNORECASE,
)
#: asks for every domain
_EVERYTHING = re.compile(
    r"\b(overview|platform health|overall|everything|look at first|what should i look|"
    r"anything wrong|any (?:issues|problems|incidents)|how healthy|status of the platform|"
    r"health report|going on|happening)\b",
    re.IGNORECASE,
)
_RELATED = re.compile(r"\b(related|relate|connected|correlat\w*|caused? by|because of)\b", re.I)
#: refers to the previous answer
_ANAPHORA = re.compile(r"\b(those|these|them|they|that one|which of)\b", re.IGNORECASE)
_DETAIL = re.compile(r"\b(in detail|details?|detailed|everything about|full)\b", re.IGNORECASE)
_SUMMARY = re.compile(r"\b(summary|summari[sz]e|brief|briefly|short|tl;?dr)\b", re.IGNORECASE)


@dataclass(frozen=True)
class HealthRoute:
    domains: tuple[Domain, ...]
    analyzers: tuple[str, ...]
    #: every domain was asked for (an overview)
    everything: bool = False
    #: whether findings of the domains are related
    relate: bool = False
    #: the message builds on the previous health answer
    follow_up: bool = False
    detail: bool | None = None


def _has(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", text) is not None


def route(message: str, previous: dict[str, object] | None = None) -> HealthRoute | None:
    """The health route of ``message``, or None when it is not a health question."""
    text = message.lower()
    follow_up = bool(previous) and _ANAPHORA.search(text) is not None
    if not _DIAGNOSTIC.search(text) and not follow_up:
        return None
    everything = _EVERYTHING.search(text) is not None
    domains = [d for d in DOMAINS if any(_has(text, w) for w in DOMAIN_WORDS[d])]
    if follow_up and not domains and previous:
        domains = [d for d in DOMAINS if d in (previous.get("domains") or ())]  # type: ignore[operator]
    if not domains and not everything:
        return None
    chosen = [d for d in DOMAINS if d in domains] or list(DOMAINS)
    picked = _best_matches(text, chosen)
    strong = _STRONG.search(text) is not None or everything
    numbers = _NUMBER.search(text) or _PERIOD.search(text)
    if not follow_up and not strong and (not picked or numbers):
        return None  # a data question: the semantic models answer it with a number
    detail = True if _DETAIL.search(text) else False if _SUMMARY.search(text) else None
    return HealthRoute(
        domains=tuple(chosen) if not everything or domains else DOMAINS,
        analyzers=() if everything and not domains else _most_specific(picked),
        everything=everything and not domains,
        relate=_RELATED.search(text) is not None and len(chosen) > 1,
        follow_up=follow_up,
        detail=detail,
    )


def _best_matches(text: str, domains: list[Domain]) -> tuple[str, ...]:
    """Per domain, the analyzers whose matching keyword is the longest ("failed most often"
    beats "failed"); none when no keyword of the domain matches."""
    kept: list[str] = []
    for domain in domains:
        scored = [
            (max((len(k) for k in a.keywords if _has(text, k)), default=0), a.name)
            for a in all_analyzers().values()
            if a.domain == domain
        ]
        best = max((length for length, _ in scored), default=0)
        kept.extend(name for length, name in scored if length and length == best)
    return tuple(kept)


def _most_specific(names: tuple[str, ...]) -> tuple[str, ...]:
    """At most two analyzers per domain: a question names one or two things."""
    kept: list[str] = []
    for name in names:
        domain = name.split(".")[0]
        if sum(1 for k in kept if k.startswith(domain + ".")) < 2:
            kept.append(name)
    return tuple(kept)
