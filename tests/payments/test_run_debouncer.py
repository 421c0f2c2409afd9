"""The pending-events run is queued on the leading edge and once at the window's end."""

import pytest

from payments.webhooks.services import RunDebouncer


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def window(settings):
    settings.STRIPE_EVENT_ENQUEUE_WINDOW_SECONDS = 1.0


def test_first_commit_queues_a_run_at_once(window):
    published, clock = [], Clock()
    RunDebouncer(published.append, clock)()
    assert published == [0.0]


def test_a_burst_queues_one_trailing_run_for_the_end_of_the_window(window):
    published, clock = [], Clock()
    debounce = RunDebouncer(published.append, clock)
    debounce()
    for step in (0.1, 0.2, 0.3):
        clock.now = 100.0 + step
        debounce()
    assert published == [0.0, pytest.approx(0.9)]  # the trailing run starts after every commit


def test_after_the_window_the_next_commit_leads_again(window):
    published, clock = [], Clock()
    debounce = RunDebouncer(published.append, clock)
    debounce()
    clock.now = 100.5
    debounce()
    clock.now = 101.0
    debounce()
    assert published == [0.0, pytest.approx(0.5), 0.0]


def test_every_commit_is_covered_by_a_run_starting_after_it(window):
    runs, clock = [], Clock()
    debounce = RunDebouncer(lambda delay: runs.append(clock.now + delay), clock)
    commits = [100.0 + i * 0.07 for i in range(60)]
    for t in commits:
        clock.now = t
        debounce()
        assert any(start >= t for start in runs)
    assert len(runs) <= 2 * (int((commits[-1] - commits[0]) / 1.0) + 1)


def test_zero_window_queues_every_time(settings):
    settings.STRIPE_EVENT_ENQUEUE_WINDOW_SECONDS = 0
    published, clock = [], Clock()
    debounce = RunDebouncer(published.append, clock)
    debounce()
    debounce()
    assert published == [0.0, 0.0]
