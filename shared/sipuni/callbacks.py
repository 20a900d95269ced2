"""Sipuni's callback columns, read: what happened after a missed call, when, and how long after.

The export says it in two columns (see `../shared/reference/sipuni.md`, section 2.3):

- "Состояние перезвона", Russian text: `Оператор не перезвонил`, `Оператор перезвонил через 18 мин
  54 сек`, `Оператор пытался перезвонить через 27 сек`, `Клиент дозвонился сам через 1 мин 12 сек`,
  `Клиент дозвонился сам во время звонка`, or empty;
- "Время перезвона", the moment of the callback as `YYYY-MM-DD HH:MM:SS` (not the `DD.MM.YYYY`
  of "Время"), in the account's local time like "Время": on real rows it is "Время" plus the delay.

`parse_callback` turns them into one of `CALLBACK_STATES`, the moment (UTC) and the delay in
seconds, each taken from whichever column says it: the delay from the text, else from the moment;
the moment from its column, else from the start plus the delay. Sipuni fills the columns for
missed incoming calls; such a call with nothing in them was not called back as far as Sipuni
knows (`none`, so it stays on the worklist), while any other call with nothing in them has no
callback state at all (None): an operator's unanswered dial-out is not a client waiting.

Used by step 1 (`workers/sipuni/call_log.py`), by migration 0010 for rows stored before, and by
the API for the names of the states.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum

class CallbackState(str, Enum):
    NONE = "none"  # nobody called back
    CALLED_BACK = "called_back"  # the operator called back and got through
    TRIED = "tried"  # the operator called back and did not get through
    CLIENT_CALLED_BACK = "client_called_back"  # the client called again and got through


CALLBACK_STATES = tuple(state.value for state in CallbackState)

# Phrases of "Состояние перезвона", most specific first ("не перезвонил" contains "перезвонил").
_PHRASES: tuple[tuple[str, CallbackState], ...] = (
    ("не перезвонил", CallbackState.NONE),
    ("пытался перезвонить", CallbackState.TRIED),
    ("перезвонил", CallbackState.CALLED_BACK),
    ("дозвонился сам", CallbackState.CLIENT_CALLED_BACK),
)
DURING_THE_CALL = "во время звонка"  # "the client got through during the call": no delay
# "через 1 мин 12 сек": a number and a unit, read by the unit's first letter (дн/день, ч/час,
# мин/минут, сек/секунд). Real rows show minutes and seconds; hours and days are read too, in case
# a long delay is written with them.
_DELAY_PART_RE = re.compile(r"(\d+)\s*([а-я]+)")
_UNIT_S = {"д": 86400, "ч": 3600, "м": 60, "с": 1}
CALLBACK_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M")
MAX_DELAY_S = 366 * 86400


@dataclass(frozen=True)
class Callback:
    state: str | None  # one of CALLBACK_STATES, or None: no callback state (not a missed incoming call)
    at: datetime | None  # UTC
    delay_s: int | None


NO_CALLBACK = Callback(None, None, None)


def parse_callback(state_text: str | None, time_text: str | None, *, direction: str | None, status: str | None,
                   started_at: datetime | None, utc_offset_s: int | None) -> Callback:
    """The callback of one export row. `direction`/`status` are the row's normalised values
    (`incoming`, `missed`, ...); `utc_offset_s` is the account's offset, for the local moment."""
    text = _normalised(state_text)
    state = _state_of(text)
    if state is None:
        waiting = direction == "incoming" and status == "missed"
        return Callback(CallbackState.NONE.value, None, None) if waiting else NO_CALLBACK
    if state is CallbackState.NONE:
        return Callback(state.value, None, None)
    at = _moment(time_text, utc_offset_s)
    delay_s = _plausible(_delay_s(text))
    if delay_s is None and at is not None and started_at is not None:
        delay_s = _plausible(max(0, int((at - started_at).total_seconds())))
    if at is None and delay_s is not None and started_at is not None:
        at = started_at.astimezone(timezone.utc) + timedelta(seconds=delay_s)
    return Callback(state.value, at, delay_s)


def _plausible(delay_s: int | None) -> int | None:
    """A delay beyond MAX_DELAY_S is a misreading, not a callback: it is dropped."""
    return delay_s if delay_s is not None and delay_s <= MAX_DELAY_S else None


def _normalised(text: str | None) -> str:
    return " ".join((text or "").lower().replace("ё", "е").split())


def _state_of(text: str) -> CallbackState | None:
    """The state a text names; None for an empty or unknown text (read as if it were empty)."""
    for phrase, state in _PHRASES:
        if phrase in text:
            return state
    return None


def _delay_s(text: str) -> int | None:
    """`… через 18 мин 54 сек` → 1134; `… во время звонка` → 0; None when the text gives none."""
    if DURING_THE_CALL in text:
        return 0
    _, found, after = text.partition("через")
    if not found:
        return None
    parts = [(int(number), _UNIT_S.get(unit[0])) for number, unit in _DELAY_PART_RE.findall(after)]
    if not parts or any(unit_s is None for _, unit_s in parts):
        return None  # no figure, or a unit we cannot read: the moment column may still tell
    return sum(number * unit_s for number, unit_s in parts)  # type: ignore[operator]


def _moment(text: str | None, utc_offset_s: int | None) -> datetime | None:
    """"Время перезвона" as UTC; None when empty, unreadable, or the account's offset is unknown."""
    value = (text or "").strip()
    if not value or utc_offset_s is None:
        return None
    for fmt in CALLBACK_TIME_FORMATS:
        try:
            local = datetime.strptime(value, fmt)
            return local.replace(tzinfo=timezone(timedelta(seconds=utc_offset_s))).astimezone(timezone.utc)
        except (ValueError, OverflowError):  # not this format; or a moment past year 9999 in UTC
            continue
    return None
