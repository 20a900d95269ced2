"""Sipuni's callback columns read: the reference's real values, and what the export leaves out."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from shared.sipuni.callbacks import CALLBACK_STATES, Callback, parse_callback

UZ = 5 * 3600  # the sample account's offset (UTC+5)
# 06.10.2025 13:36:43 local (UTC+5): the reference row "Клиент дозвонился сам через 1 мин 12 сек".
START = datetime(2025, 10, 6, 8, 36, 43, tzinfo=timezone.utc)


def _missed_incoming(state: str, time: str = "", offset_s: int | None = UZ) -> Callback:
    return parse_callback(state, time, direction="incoming", status="missed", started_at=START, utc_offset_s=offset_s)


def test_the_reference_row_gives_state_moment_and_delay_that_agree():
    callback = _missed_incoming("Клиент дозвонился сам через 1 мин 12 сек", "2025-10-06 13:37:55")
    assert callback == Callback("client_called_back", START + timedelta(seconds=72), 72)


@pytest.mark.parametrize(("text", "state", "delay_s"), [
    ("Оператор не перезвонил", "none", None),
    ("Оператор перезвонил через 18 мин 54 сек", "called_back", 18 * 60 + 54),
    ("Оператор пытался перезвонить через 27 сек", "tried", 27),
    ("Клиент дозвонился сам через 1 мин 12 сек", "client_called_back", 72),
    ("Клиент дозвонился сам во время звонка", "client_called_back", 0),
    ("  оператор  ПЕРЕЗВОНИЛ через 2 ч 5 мин 3 сек ", "called_back", 2 * 3600 + 5 * 60 + 3),  # case, spaces, hours
    ("Оператор перезвонил через 1 день 3 минуты", "called_back", 86400 + 180),
])
def test_every_state_and_its_delay_are_read_from_the_text(text, state, delay_s):
    callback = _missed_incoming(text)
    assert (callback.state, callback.delay_s) == (state, delay_s)
    assert callback.state in CALLBACK_STATES
    # Without "Время перезвона", the moment is the start plus the delay (none for "none").
    assert callback.at == (None if delay_s is None else START + timedelta(seconds=delay_s))


def test_the_moment_column_is_local_time_and_gives_the_delay_when_the_text_does_not():
    callback = _missed_incoming("Оператор перезвонил", "2025-10-06 14:00:00")
    assert callback == Callback("called_back", datetime(2025, 10, 6, 9, 0, tzinfo=timezone.utc), 23 * 60 + 17)


def test_an_unreadable_moment_or_an_unknown_offset_leaves_the_moment_to_the_delay():
    assert _missed_incoming("Оператор пытался перезвонить через 27 сек", "вчера").at == START + timedelta(seconds=27)
    no_offset = _missed_incoming("Оператор пытался перезвонить через 27 сек", "2025-10-06 23:59:59", offset_s=None)
    assert no_offset == Callback("tried", START + timedelta(seconds=27), 27)
    assert _missed_incoming("Оператор перезвонил", "").delay_s is None  # nothing says when


@pytest.mark.parametrize(("direction", "status", "expected"), [
    ("incoming", "missed", "none"),  # a missed client Sipuni says nothing about: nobody called back
    ("outgoing", "missed", None),  # an operator's unanswered dial-out: no client is waiting
    ("internal", "missed", None),
    ("incoming", "answered", None),
    (None, None, None),
])
def test_empty_columns_mean_none_only_for_a_missed_incoming_call(direction, status, expected):
    for text in ("", None, "   ", "Статус неизвестен"):  # an unknown text is read like an empty one
        callback = parse_callback(text, "", direction=direction, status=status, started_at=START, utc_offset_s=UZ)
        assert callback == Callback(expected, None, None), text


def test_a_text_state_is_read_whatever_the_row_says_and_absurd_delays_are_dropped():
    answered = parse_callback("Оператор перезвонил через 5 сек", "", direction="incoming", status="answered",
                              started_at=START, utc_offset_s=UZ)
    assert answered.state == "called_back"
    assert _missed_incoming("Оператор перезвонил через 999999999999 дней") == Callback("called_back", None, None)
    assert _missed_incoming("Оператор перезвонил через 5 лет").delay_s is None  # a unit nobody writes


def test_a_moment_at_the_edge_of_the_calendar_is_unreadable_not_an_error():
    late = parse_callback("Оператор перезвонил", "9999-12-31 23:59:59", direction="incoming", status="missed",
                          started_at=START, utc_offset_s=-12 * 3600)
    assert late == Callback("called_back", None, None)
