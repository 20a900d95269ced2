"""The simulator's callback columns: what the reference's real rows say, on missed incoming calls only."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

from simulators.sipuni.calls import DEFAULT_NEWEST_LOCAL, generate, spoken_delay
from simulators.sipuni.csv_format import FormatOptions, render

# The reference's phrasings (../shared/reference/sipuni.md, "Состояние перезвона").
TEXT_RE = re.compile(r"^(Оператор не перезвонил|Клиент дозвонился сам во время звонка|"
                     r"(Оператор перезвонил|Оператор пытался перезвонить|Клиент дозвонился сам) через "
                     r"(\d+ мин )?\d+ сек)$")


def test_missed_incoming_calls_carry_every_callback_state_and_nothing_else_does():
    calls = generate(400, seed=11)
    kinds = Counter(call.callback for call in calls)
    assert set(kinds) == {None, "none", "called_back", "tried", "client_called_back"}, kinds
    for call in calls:
        waiting = call.direction == "incoming" and not call.answered
        assert (call.callback is not None) == waiting
        assert bool(call.callback_text) == waiting
        if not waiting:
            continue
        assert TEXT_RE.match(call.callback_text), call.callback_text
        if call.callback_local is not None:  # the callback happened by the time of the newest call
            assert call.callback_local == call.local_time + timedelta(seconds=call.callback_delay_s)
            assert call.callback_local <= DEFAULT_NEWEST_LOCAL
            assert call.callback_text.endswith(spoken_delay(call.callback_delay_s))
        if call.caller == "anonymous":
            assert call.callback == "none"  # nobody can call an anonymous number back


def test_the_export_writes_both_columns_as_sipuni_does():
    calls = generate(400, seed=11)
    lines = render(calls, FormatOptions()).decode("utf-8").splitlines()
    header = lines[0].split(";")
    state, moment = header.index("Состояние перезвона"), header.index("Время перезвона")
    for call, line in zip(calls, lines[1:], strict=True):
        fields = line.split(";")
        assert fields[state] == call.callback_text
        if call.callback_local is None:
            assert fields[moment] == ""
        else:  # YYYY-MM-DD HH:MM:SS, unlike the DD.MM.YYYY of "Время"
            assert datetime.strptime(fields[moment], "%Y-%m-%d %H:%M:%S") == call.callback_local
    assert generate(400, seed=11) == calls  # deterministic from the seed


def test_spoken_delays_follow_the_reference():
    assert [spoken_delay(s) for s in (27, 72, 18 * 60 + 54, 300)] == ["27 сек", "1 мин 12 сек", "18 мин 54 сек",
                                                                       "5 мин 0 сек"]
