"""The deployment-wide server budget on the real Redis: what Yii2's headers teach it, how it spends
the allowance, paces, pauses on a 429, and adapts to a server without headers."""

from __future__ import annotations

import pytest

from workers.ratelimit.budget import (
    SPACING_MARGIN_RATIO,
    WHOLE_SECOND_GAP_S,
    Booking,
    RateLimitWait,
    ServerBudget,
    limit_headers,
    retry_after_s,
)


def headers(limit: int, remaining: int, reset_s: int) -> dict[str, str]:
    return {"X-Rate-Limit-Limit": str(limit), "X-Rate-Limit-Remaining": str(remaining),
            "X-Rate-Limit-Reset": str(reset_s)}


def budget(redis_client, client_rate_per_s: float = 0, max_inline_wait_s: float = 1000) -> ServerBudget:
    """A handle that does not really sleep: waits are read from Redis's clock, not slept."""
    return ServerBudget(redis_client, "test", client_rate_per_s, max_inline_wait_s=max_inline_wait_s,
                        sleep=lambda _s: None)


def test_headers_are_parsed_and_partial_ones_ignored():
    assert limit_headers(headers(10, 3, 42)).reset_s == 42
    assert limit_headers({"X-Rate-Limit-Limit": "10"}) is None
    assert limit_headers(headers(10, 3, 42) | {"X-Rate-Limit-Remaining": "x"}) is None
    assert retry_after_s({"Retry-After": "7"}) == 7.0 and retry_after_s({}) is None


def test_the_window_and_pace_are_derived_from_yii2_headers(settings, redis_client):
    first = budget(redis_client)
    first.acquire()
    # Yii2 after a request it let through: Reset = int((L - R) * W / L); L=20, W=10 s, R=5 -> 7.
    first.observe(200, headers(20, 5, 7))
    state = first.snapshot()
    assert float(state["window_us"]) == pytest.approx(7 * 20 / 15 * 1e6, rel=1e-6)  # a lower bound of W
    first.observe(200, headers(20, 0, 10))  # exact once Remaining is 0
    state = first.snapshot()
    assert int(state["window_us"]) == 10_000_000
    assert int(state["spacing_us"]) == pytest.approx(0.5e6 * (1 + SPACING_MARGIN_RATIO), rel=1e-6)
    # A window / limit of 6 s: whole seconds, as Yii2 refills.
    other = ServerBudget(redis_client, "other", 0)
    other.observe(200, headers(10, 0, 60))
    assert int(other.snapshot()["spacing_us"]) == pytest.approx(6e6 * (1 + SPACING_MARGIN_RATIO), rel=1e-6)


def test_the_allowance_is_spent_at_once_then_requests_are_paced(settings, redis_client):
    handles = [budget(redis_client) for _ in range(3)]  # three "workers" sharing the budget
    handles[0].acquire()
    handles[0].observe(200, headers(5, 4, 0))  # Yii2 with L=5 per W=2 s, after one request: 4 remain
    waits = [handles[n % 3].acquire() for n in range(4)]
    assert max(waits) < 0.05, waits
    handles[1].observe(200, headers(5, 0, 2))  # a later answer: spent; W = Reset * L / (L - R) = 2 s
    paced = [handles[n % 3].acquire() for n in range(3)]
    spacing_s = int(handles[0].snapshot()["spacing_us"]) / 1e6
    # The first paced request lands a whole second after the burst (Yii2 refills per second).
    assert paced[0] == pytest.approx(max(spacing_s, WHOLE_SECOND_GAP_S), abs=0.1)
    assert paced[1] - paced[0] == pytest.approx(spacing_s, abs=0.05)
    assert paced[2] - paced[1] == pytest.approx(spacing_s, abs=0.05)


def test_answers_of_requests_still_in_flight_do_not_hand_out_credit_twice(settings, redis_client):
    handles = [budget(redis_client) for _ in range(4)]
    for handle in handles:
        handle.acquire()
    # The first request's answer says 8 remain, but three more were sent after it.
    handles[0].observe(200, headers(10, 8, 12))
    assert int(handles[0].snapshot()["credit"]) == 5
    handles[1].observe(200, headers(10, 9, 6))  # a later request's answer: the server refilled one
    assert int(handles[0].snapshot()["credit"]) == 9 - 2
    handles[0].observe(200, headers(10, 8, 12))  # a stale answer changes nothing
    assert int(handles[0].snapshot()["credit"]) == 7


def test_a_429_without_retry_after_pauses_everyone_for_the_reset(settings, redis_client):
    first, second = budget(redis_client, max_inline_wait_s=1), budget(redis_client, max_inline_wait_s=1)
    first.acquire()
    pause_s = first.observe(429, headers(20, 0, 4))
    assert 4.0 <= pause_s <= 4.5
    with pytest.raises(RateLimitWait) as waited:
        second.acquire()
    assert 3.5 <= waited.value.wait_s <= 4.5 and not waited.value.throttled
    # After Reset (= the window) of silence Yii2 has refilled: the whole limit is credit again.
    assert int(first.snapshot()["credit"]) == 20


def test_retry_after_wins_over_reset(settings, redis_client):
    handle = budget(redis_client)
    handle.acquire()
    assert 2.0 <= handle.observe(429, {"Retry-After": "2", **headers(20, 0, 60)}) <= 2.5


def test_a_server_without_headers_gets_aimd_pacing(settings, redis_client):
    handle = budget(redis_client)
    assert handle.acquire() == 0 and handle.acquire() == 0  # no limit known: no pacing
    pause_s = handle.observe(429, {})
    assert pause_s > 0
    first_spacing = int(handle.snapshot()["spacing_us"])
    handle.observe(200, {})
    handle.observe(200, {})
    increased = int(handle.snapshot()["spacing_us"])
    assert increased < first_spacing  # additive increase of the rate
    handle.observe(429, {})  # the same ticket's round: no second decrease
    assert int(handle.snapshot()["spacing_us"]) == increased
    later = ServerBudget(redis_client, "test", 0)  # sleeps for real, through the pause
    later.acquire()
    later.observe(429, {})  # a later request refused: the rate halves
    assert int(handle.snapshot()["spacing_us"]) == pytest.approx(increased * 2, abs=2)


def test_the_client_cap_applies_on_top_of_the_server_budget(settings, redis_client):
    handle = budget(redis_client, client_rate_per_s=2)
    handle.acquire()
    handle.observe(200, headers(100, 99, 0))  # the server would allow a burst
    assert handle.acquire() == pytest.approx(0.5 * (1 + SPACING_MARGIN_RATIO), abs=0.05)


def test_a_slot_too_far_away_is_not_booked(settings, redis_client):
    handle = budget(redis_client, client_rate_per_s=0.5, max_inline_wait_s=1)
    handle.acquire()
    with pytest.raises(RateLimitWait):
        handle.acquire()
    with pytest.raises(RateLimitWait):  # nothing was booked by the refusal: the wait did not grow
        handle.acquire()
    assert int(handle.snapshot()["seq"]) == 1


def redis_now_s(redis_client) -> float:
    seconds, micros = redis_client.time()
    return int(seconds) + int(micros) / 1e6


def booking_handle(redis_client) -> ServerBudget:
    """A HEMIS-like handle: sleeps at most 0.5 s in place, books slots up to 10 minutes ahead."""
    return ServerBudget(redis_client, "test", 0, max_inline_wait_s=0.5, book_ahead_s=600, sleep=lambda _s: None)


def test_a_wait_past_the_inline_bound_books_its_own_slot_so_waiters_never_herd(settings, redis_client):
    """Many tasks of one paced server waiting: each gets its own future slot (no two the same), and
    spending a booking takes no new ticket."""
    first = booking_handle(redis_client)
    first.acquire()
    first.observe(200, headers(10, 0, 20))  # Yii2 L=10 per 20 s, spent: one request per 2 s after this one
    waits = []
    for _ in range(5):
        with pytest.raises(RateLimitWait) as caught:
            booking_handle(redis_client).acquire()
        waits.append(caught.value)
    bookings = [wait.booking for wait in waits]
    assert all(booking is not None for booking in bookings)
    dues = [booking.due_at_s for booking in bookings]
    spacing_s = int(first.snapshot()["spacing_us"]) / 1e6
    assert dues[0] - redis_now_s(redis_client) == pytest.approx(spacing_s, abs=0.1)  # a spacing after page 1
    assert all(later - earlier == pytest.approx(spacing_s, abs=0.05) for earlier, later in zip(dues, dues[1:]))
    assert len({booking.ticket for booking in bookings}) == 5
    # Spending a booking at its time (as the task that comes back for it does) asks for no new slot.
    seq_before = int(first.snapshot()["seq"])
    spender = booking_handle(redis_client)
    spender.use_booking(Booking(bookings[0].ticket, redis_now_s(redis_client), bookings[0].epoch))
    assert spender.acquire() == 0.0
    assert int(first.snapshot()["seq"]) == seq_before


def test_a_booking_spent_late_or_after_a_429_is_void_and_the_caller_books_again(settings, redis_client):
    first = booking_handle(redis_client)
    first.acquire()
    first.observe(200, headers(10, 0, 20))
    with pytest.raises(RateLimitWait) as caught:
        booking_handle(redis_client).acquire()
    booked = caught.value.booking
    # Late by more than the tolerance: the slot booked after it would follow too closely.
    late = booking_handle(redis_client)
    late.use_booking(Booking(booked.ticket, redis_now_s(redis_client) - 1.0, booked.epoch))
    seq_before = int(first.snapshot()["seq"])
    with pytest.raises(RateLimitWait) as again:
        late.acquire()
    assert again.value.booking is not None and int(first.snapshot()["seq"]) == seq_before + 1
    # A 429 since: a new epoch (the server refills after its window); the old booking is void even
    # once the pause is over, and the caller is booked at the pause's end.
    first.observe(429, headers(10, 0, 20))
    stale = booking_handle(redis_client)
    stale.use_booking(Booking(booked.ticket, redis_now_s(redis_client), booked.epoch))
    with pytest.raises(RateLimitWait) as paused:
        stale.acquire()
    assert paused.value.wait_s > 15 and paused.value.booking.epoch == booked.epoch + 1


def test_the_second_request_waits_once_the_first_answer_says_nothing_is_left(settings, redis_client):
    """Yii2 L=1 per 4 s: the first answer says Remaining 0, Reset 4. The next request, asked for at
    once, is paced a spacing after the first, not sent into a certain 429."""
    first = budget(redis_client)
    first.acquire()
    first.observe(200, headers(1, 0, 4))
    assert budget(redis_client).acquire() == pytest.approx(4 * (1 + SPACING_MARGIN_RATIO), abs=0.1)


def test_headers_without_a_known_window_pace_a_whole_second_apart_once_the_credit_is_spent(settings, redis_client):
    """Yii2 L=2 per 1 s answers the first request with Remaining 1, Reset 0: the window is still
    unknown. One more request goes at once (the credit); the next ones wait a second each."""
    first = budget(redis_client)
    first.acquire()
    first.observe(200, headers(2, 1, 0))
    waits = [budget(redis_client).acquire() for _ in range(3)]
    assert waits[0] < 0.05
    assert waits[1] == pytest.approx(WHOLE_SECOND_GAP_S, abs=0.1)
    assert waits[2] == pytest.approx(2 * WHOLE_SECOND_GAP_S, abs=0.1)


def test_a_booking_travels_in_a_task_message_as_numbers():
    booking = Booking(7, 1234.5, 3)
    assert Booking.from_message(booking.as_message()) == booking
    assert Booking.from_message([7, 1234.5]) == Booking(7, 1234.5, 0)  # a message from before epochs
    assert Booking.from_message(None) is None and Booking.from_message(["x", 1]) is None
