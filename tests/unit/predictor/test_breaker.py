"""The circuit breaker: opens after N failures in a row, half-opens after its timeout."""

from __future__ import annotations

from services.predictor.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_consecutive_failures_only() -> None:
    clock = Clock()
    breaker = CircuitBreaker(3, 10.0, clock)

    assert [breaker.record_failure(), breaker.record_failure()] == [False, False]
    breaker.record_success()
    assert [breaker.record_failure(), breaker.record_failure()] == [False, False]
    assert not breaker.is_open
    assert breaker.record_failure()
    assert breaker.is_open
    assert breaker.retry_after_seconds() == 10.0


def test_half_opens_after_the_timeout_and_a_failure_reopens_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 5.0, clock)
    breaker.record_failure()
    clock.now += 5.0

    assert not breaker.is_open
    assert breaker.record_failure()
    assert breaker.is_open


def test_a_success_after_the_timeout_closes_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker(2, 5.0, clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.now += 6.0

    breaker.record_success()
    breaker.record_failure()

    assert not breaker.is_open
