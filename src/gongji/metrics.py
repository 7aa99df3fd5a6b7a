"""Prometheus metrics (one process-wide registry, served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("gongji_http_requests_total", "HTTP requests by route and status",
                        ["method", "route", "status"])
HTTP_LATENCY = Histogram("gongji_http_request_seconds", "HTTP request latency by route",
                         ["method", "route"],
                         buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                  2.5, 5))
ERRORS = Counter("gongji_errors_total", "Refusals by error code", ["code"])
HOLDS_EXPIRED = Counter("gongji_holds_expired_total", "Holds returned to their source at the "
                        "deadline by the sweeper")
IDEMPOTENT_REPLAYS = Counter("gongji_idempotent_replays_total",
                             "Writes answered from a stored result (client retries)")
GATEWAY_CALLS = Counter("gongji_gateway_calls_total", "National-interface calls by infno and "
                        "infcode", ["infno", "infcode"])
