"""Alert rules: the models of ``alerts.yaml`` and the built-in rules (``loading.py`` reads them).

An ``alerts.yaml`` holds a list under ``alerts:``. Each rule has a query that comes to one
number, a condition on it, a schedule, a severity and where to notify::

    alerts:
      - name: revenue_drop
        query: {type: semantic, dataset: tpch_sales, metrics: [revenue], timeRange: yesterday}
        condition: {operator: "<", threshold: 1000}
        schedule: "0 8 * * *"            # cron (UTC), or "every 15m"
        notify:
          - {type: webhook, url: "${SLACK_WEBHOOK_URL}"}
          - {type: email, to: [oncall@example.com]}

The built-in rules always exist: the assistant's error rate and p95 latency over the last
hour, and spend spikes. Any problem is an ``AlertRulesInvalid`` naming the file, the rule
and the field.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, assert_never

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from lakechat.errors import ConfigurationError
from lakechat.monitor.alerts.notify import scheme_and_host, usable_address, webhook_url_problem
from lakechat.monitor.alerts.schedule import Schedule
from lakechat.monitor.base import Severity
from lakechat.semantic.query import SemanticQuery

Operator = Literal[">", ">=", "<", "<=", "==", "!="]
AssistantMetric = Literal[
    "error_rate", "success_rate", "p95_latency_ms", "avg_latency_ms", "requests", "errors",
    "rejected", "avg_confidence",
]  # fmt: skip
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class AlertRulesInvalid(ConfigurationError):
    """alerts.yaml cannot be used; the message names the file, the rule and the field."""

    code = "alert_rules_invalid"
    #: the alerts are unavailable until the operator fixes the file: not a server fault
    status = 503
    default_message = "the alert rules are invalid"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnalyzerQuery(_Strict):
    """A platform-health analyzer: how many findings it raised, or one column aggregated."""

    type: Literal["analyzer"]
    analyzer: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    #: ``findings`` (their count) or a column of the analysis's rows
    value: str = Field("findings", min_length=1)
    aggregate: Literal["max", "min", "sum", "avg", "count"] = "max"
    #: findings below this severity are not counted
    min_severity: Severity = "info"
    #: one workspace (its id or name) or every workspace
    workspace: str | None = None


class SemanticRuleQuery(_Strict):
    """A ``POST /v1/query`` body, run as the system principal; the value is the first row's
    ``metric`` (default: the first metric asked for)."""

    type: Literal["semantic"]
    metric: str | None = None
    body: SemanticQuery

    @model_validator(mode="before")
    @classmethod
    def _flat_body(cls, value: Any) -> Any:
        # written flat in the file: every key but type and metric is the query body
        if isinstance(value, Mapping) and "body" not in value:
            own = {k: value[k] for k in ("type", "metric") if k in value}
            return {**own, "body": {k: v for k, v in value.items() if k not in own}}
        return value

    @model_validator(mode="after")
    def _reads_a_metric(self) -> SemanticRuleQuery:
        outputs = [m.output for m in self.body.metrics]
        if not outputs:
            raise ValueError("a semantic alert query needs at least one metric")
        if self.metric is not None and self.metric not in outputs:
            raise ValueError(f"metric {self.metric!r} is not one of the query's: {outputs}")
        return self

    @property
    def output(self) -> str:
        return self.metric or self.body.metrics[0].output


class AssistantQuery(_Strict):
    """lakechat's own requests over the last ``hours`` (its request log)."""

    type: Literal["assistant"]
    metric: AssistantMetric
    hours: float = Field(1.0, gt=0, le=24 * 90)
    #: fewer requests than this in the window is "no data" (no alert on one failed request)
    min_requests: int = Field(1, ge=1)


RuleQuery = Annotated[
    AnalyzerQuery | SemanticRuleQuery | AssistantQuery, Field(discriminator="type")
]


class Condition(_Strict):
    operator: Operator
    threshold: float

    def met(self, value: float) -> bool:
        match self.operator:
            case ">":
                return value > self.threshold
            case ">=":
                return value >= self.threshold
            case "<":
                return value < self.threshold
            case "<=":
                return value <= self.threshold
            case "==":
                return value == self.threshold
            case "!=":
                return value != self.threshold
            case _:
                assert_never(self.operator)

    def __str__(self) -> str:
        return f"{self.operator} {self.threshold:g}"


def _expand(text: str) -> str:
    """``${NAME}`` replaced by that environment variable (secrets stay out of the file)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ValueError(f"environment variable {name} is not set")
        return os.environ[name]

    return _ENV.sub(value, text)


def _named(raw: str, what: str, shown: str | None) -> str:
    """How an error names a value it must not quote (it may hold a secret token): by the
    ${VAR}s it came from, else as ``shown`` (if anything may be shown)."""
    names = list(dict.fromkeys(_ENV.findall(raw)))
    if names:
        return f"the {what} from {', '.join('${' + n + '}' for n in names)}"
    return f"the {what} {shown}" if shown else f"the {what}"


class WebhookChannel(_Strict):
    """POST Slack-compatible JSON (``{"text", "blocks"}``) to ``url``."""

    type: Literal["webhook"]
    url: str

    @field_validator("url")
    @classmethod
    def _http(cls, raw: str) -> str:
        value = _expand(raw).strip()
        problem = webhook_url_problem(value)
        if problem is not None:  # scheme and host only: the path is often the secret
            raise ValueError(f"{_named(raw, 'URL', scheme_and_host(value))} {problem}")
        return value


class EmailChannel(_Strict):
    """An e-mail to ``to`` through the SMTP server (SMTP_HOST, SMTP_PORT, ...)."""

    type: Literal["email"]
    to: tuple[str, ...] = Field(min_length=1)

    @field_validator("to", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        expanded = []
        for raw in value:
            address = _expand(raw).strip()
            if not re.match(r"^[^@\s,]+@[^@\s,]+$", address) or not usable_address(address):
                # an address written in the file is shown, as listings show it; one from
                # the environment is named by its variable
                raise ValueError(
                    f"{_named(raw, 'address', repr(address))} is not an e-mail address"
                )
            expanded.append(address)
        return tuple(expanded)


Channel = Annotated[WebhookChannel | EmailChannel, Field(discriminator="type")]


class AlertRule(_Strict):
    """One alert rule."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,200}$")
    description: str = ""
    query: RuleQuery
    condition: Condition
    schedule: str
    severity: Severity = "medium"
    notify: tuple[Channel, ...] = ()
    enabled: bool = True

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return Schedule.parse(value).text  # refuses one that never comes, too

    @property
    def timing(self) -> Schedule:
        return Schedule.parse(self.schedule)


BUILTIN_RULES: tuple[dict[str, Any], ...] = (
    {
        "name": "assistant_error_rate",
        "description": "More than 10% of lakechat's own assistant requests failed in the last hour.",
        # one failed request in a quiet hour is no rate to page anyone about
        "query": {"type": "assistant", "metric": "error_rate", "hours": 1, "min_requests": 10},
        "condition": {"operator": ">", "threshold": 0.10},
        "schedule": "every 5m",
        "severity": "high",
    },
    {
        "name": "assistant_p95_latency",
        "description": "lakechat's p95 answer latency over the last hour is above 10 seconds.",
        "query": {"type": "assistant", "metric": "p95_latency_ms", "hours": 1, "min_requests": 10},
        "condition": {"operator": ">", "threshold": 10_000},
        "schedule": "every 5m",
        "severity": "medium",
    },
    {
        "name": "cost_spike",
        "description": "A workspace's daily spend jumped to a multiple of its trailing median.",
        "query": {"type": "analyzer", "analyzer": "cost.spend_spike", "min_severity": "medium"},
        "condition": {"operator": ">=", "threshold": 1},
        "schedule": "every 1h",
        "severity": "high",
    },
)
BUILTIN_NAMES = frozenset(rule["name"] for rule in BUILTIN_RULES)
