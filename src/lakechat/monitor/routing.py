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
    r"healthy|overview|related|relate|correlat\w*|flaky|suspicious|risks?|risky|stale|"
    r"unowned|ownerless|without (?:an )?owners?|failed|failing|failures?|broke\w*|slow|"
    r"slower|slowest|regress\w*|spill\w*|queue\w*|security|attack\w*|breach\w*|untagged|"
    r"alerts?|incidents?|worry|worried|attention)\b",
    re.IGNORECASE,
)
#: asks for a diagnosis even without naming an analysis ("any security concerns?")
_STRONG = re.compile(
    r"\b(why|spike\w*|anomal\w*|concerns?|issues?|problems?|wrong|health|healthy|overview|"
    r"related|correlat\w*|flaky|suspicious|risks?|risky|stale|security|attack\w*|"
    r"breach\w*|incidents?|attention|worr\w*)\b",
    re.IGNORECASE,
)
#: asks for a number a semantic model answers ("how many queries failed today?")
_NUMBER = re.compile(
    r"^\s*(how many|how much|count|total|sum|average|avg|what (?:is|was) the (?:total|number|"
    r"average|sum|count))\b",
    re.IGNORECASE,
)
#: a recent period the analyzers' windows answer ("yesterday", "this week")
_RECENT = re.compile(
    r"\b(today|yesterday|now|right now|lately|recently|this week|last (?:7|seven) days|"
    r"last 24 hours|last week|past (?:day|week))\b",
    re.IGNORECASE,
)
#: names a period: unless it is a recent one, the analyzers' fixed windows would answer
#: another, so the semantic models take the question
_PERIOD = re.compile(
    r"\b(yesterday|last (?:week|month|quarter|year|\d+ \w+)|this (?:week|month|quarter|year)|"
    r"past \d+ \w+|since|between|before|after|(?:19|20)\d{2}(?:-\d{2}(?:-\d{2})?)?|"
    r"january|february|march|april|june|july|august|september|october|november|december|"
    r"(?:in|during) (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*|"
    r"by (?:day|week|month|hour|quarter|year))\b",
    re.IGNORECASE,
)
#: asks for numbers grouped by something ("failed logins by source IP"): a semantic query
_GROUPED = re.compile(r"\b(?:by|per|for each)\s+(?!the way\b)\w+", re.IGNORECASE)
#: asks for every domain: about the platform as a whole, not about a subject of the data
_EVERYTHING = re.compile(
    r"(^\s*(?:give me an? |show me an? |an? )?(?:platform |health )?overview\s*[?.!]*\s*$|"
    r"\b(?:platform health|platform overview|health overview|health report|overall health|"
    r"platform status|status of the platform|how healthy is|look at first|what should i look|"
    r"anything wrong|any (?:issues|problems|incidents)\b|needs? (?:my )?attention|"
    r"(?:should i|i should) (?:worry|be worried)|anything to worry))",
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
    #: asked about yesterday: analyzers of one day look at the day before
    yesterday: bool = False


def _has(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", text) is not None


def route(message: str, previous: dict[str, object] | None = None) -> HealthRoute | None:
    """The health route of ``message``, or None when it is not a health question."""
    text = message.lower()
    everything = _EVERYTHING.search(text) is not None
    domains = [d for d in DOMAINS if any(_has(text, w) for w in DOMAIN_WORDS[d])]
    earlier = [d for d in DOMAINS if previous and d in (previous.get("domains") or ())]  # type: ignore[operator]
    # "which of those failed most often?": it refers to the last health answer and asks
    # something an analyzer of its domains answers
    follow_up = bool(earlier and _ANAPHORA.search(text) and _best_matches(text, domains or earlier))
    if follow_up and not domains:
        domains = earlier
    if not domains and not everything:
        return None
    chosen = [d for d in DOMAINS if d in domains] or list(DOMAINS)
    picked = _best_matches(text, chosen)
    if not _DIAGNOSTIC.search(text) and not follow_up and not everything and not picked:
        return None
    strong = _STRONG.search(text) is not None or everything
    period = _PERIOD.search(text)
    if period and not _RECENT.fullmatch(period.group(0)):
        return None  # another period than the analyzers look at: the semantic models' question
    numbers = _NUMBER.search(text) or _GROUPED.search(text)
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
        yesterday=_has(text, "yesterday"),
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
