"""Prometheus metrics of one attestd application.

Each application owns its registry, so two apps in one process (tests, a
future admin app) never share counters.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

UNMATCHED_ROUTE = "unmatched"


@dataclass(frozen=True)
class HttpMetrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.latency.labels(method=method, route=route, status=str(status)).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def build_http_metrics() -> HttpMetrics:
    registry = CollectorRegistry(auto_describe=True)
    labels = ("method", "route", "status")
    return HttpMetrics(
        registry=registry,
        requests=Counter(
            "attestd_http_requests",
            "HTTP requests answered, by route template and status.",
            labels,
            registry=registry,
        ),
        latency=Histogram(
            "attestd_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and status.",
            labels,
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        ),
    )
