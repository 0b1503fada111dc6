"""Prometheus metrics, correct under several worker processes.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``lakechat serve`` sets it when it starts more
than one worker), each process writes its samples to files there and ``/metrics``
aggregates them; otherwise the process's default registry is served.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests served.", ["method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to serve an HTTP request.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
ERRORS = Counter("lakechat_errors_total", "Errors returned to clients, by stable code.", ["code"])
RATE_LIMITED = Counter(
    "lakechat_rate_limited_total", "Requests refused by a rate limit.", ["route_class"]
)
CACHE_EVENTS = Counter(
    "lakechat_query_cache_total",
    "Semantic query cache lookups and removals, by outcome (hit, miss, eviction).",
    ["outcome"],
)
REQUEST_LOG_WRITTEN = Counter("lakechat_request_log_rows_total", "Request-log rows written.")
REQUEST_LOG_DROPPED = Counter(
    "lakechat_request_log_dropped_total", "Request-log rows dropped because the buffer was full."
)

ASSISTANT_ANSWERS = Counter(
    "lakechat_assistant_answers_total",
    "Chat answers, by status (answered, clarify, refused, error).",
    ["status"],
)
ASSISTANT_LATENCY = Histogram(
    "lakechat_assistant_latency_seconds",
    "Time from a chat message to its answer: interpreting, compiling and running the query.",
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
ASSISTANT_FEEDBACK = Counter(
    "lakechat_assistant_feedback_total",
    "Feedback on chat answers, by rating (up, down).",
    ["rating"],
)


def render_metrics() -> tuple[bytes, str]:
    """The exposition text for /metrics and its content type."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
