"""Rates measured from fakestripe's request log (`stripe_hub.request_times(call)`): when
each request arrived, on the server's own clock. Nothing here samples the test's clock,
so a loaded machine can slow the traffic down but cannot blur the measurement."""

from __future__ import annotations

from bisect import bisect_right


def busiest_second(times: list[float]) -> int:
    """The most requests that arrived within any span of at most one second."""
    ordered = sorted(times)
    return max(
        (bisect_right(ordered, at + 1.0) - i for i, at in enumerate(ordered)),
        default=0,
    )


def span(times: list[float], total: int) -> float:
    """The seconds from the first request's arrival to the `total`-th's."""
    ordered = sorted(times)
    assert len(ordered) >= total, f"only {len(ordered)} requests arrived, not {total}"
    return ordered[total - 1] - ordered[0]
