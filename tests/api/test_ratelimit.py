"""The rate limit kept in a process's memory (the embedded default, without Redis)."""

from api.ratelimit import LocalWindow


def test_a_key_over_its_rate_waits_until_its_oldest_request_is_a_second_old():
    window = LocalWindow()
    assert [window.retry_after("key", 3, now=t) for t in (10.0, 10.1, 10.2)] == [None] * 3
    assert window.retry_after("key", 3, now=10.5) == 1
    assert window.retry_after("other", 3, now=10.5) is None  # each key has its own window
    assert window.retry_after("key", 3, now=11.0) is None  # 10.0 has left the window
    assert window.retry_after("key", 3, now=11.05) == 1  # 10.1, 10.2, 11.0 are in it
    assert window.retry_after("key", 3, now=11.1) is None


def test_a_refused_request_is_not_counted():
    window = LocalWindow()
    for t in (0.0, 0.5):
        assert window.retry_after("key", 2, now=t) is None
    for t in (0.6, 0.7, 0.8, 0.9):
        assert window.retry_after("key", 2, now=t) == 1
    assert window.retry_after("key", 2, now=1.0) is None


def test_a_longer_window_holds_rate_times_window_and_says_how_long_to_wait():
    window = LocalWindow()
    for t in (0.0, 1.0, 2.0):
        assert window.retry_after("key", 3, 60, now=t) is None
    assert window.retry_after("key", 3, 60, now=30.0) == 30  # 0.0 leaves the window at 60
    assert window.retry_after("key", 3, 60, now=59.5) == 1
    assert window.retry_after("key", 3, 60, now=60.0) is None


def test_the_window_setting_applies_without_redis(settings):
    from api import ratelimit

    settings.REDIS_URL = ""
    settings.API_RATE_LIMIT_PER_SECOND = 1
    settings.API_RATE_LIMIT_WINDOW_SECONDS = 30
    ratelimit.clear()
    assert [ratelimit.retry_after("window-test") for _ in range(30)] == [None] * 30
    wait = ratelimit.retry_after("window-test")
    assert wait is not None and 1 <= wait <= 30
