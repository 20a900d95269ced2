"""The simulator's call history: deterministic from a seed, any number of calls.

Extensions come from a known set (`EXTENSIONS`) so that demo and test employees can match them.
About 8% of recordings are missing (404) and 2% answer 200 with a body that is not audio.

A missed incoming call carries Sipuni's callback columns ("Состояние перезвона", "Время перезвона",
as in the reference's real rows): the operator called back, tried to, the client got through
on their own (after a delay, or during the call), or nobody called back, which is also what the
export says of a callback that would come after the newest call (it has not happened yet). The
callbacks are drawn from a generator of their own, so every other field of a seed's calls is what
it was before callbacks existed.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

EXTENSIONS = {"201": "Aziza", "202": "Bekzod", "203": "Dilnoza", "204": "Farrukh", "205": "Gulnora",
              "206": "Javohir", "210": "Kamola", "212": "Laziz", "294": "Mega", "299": "Nodir"}
DEFAULT_NEWEST_LOCAL = datetime(2025, 10, 6, 18, 0, 0)
DEFAULT_TZ_OFFSET_H = 5  # Uzbekistan, like the navai sample
OUR_DID = "998901471049"
MIN_GAP_S, MAX_GAP_S = 30, 600
MIN_RECORDING_BYTES, MAX_RECORDING_BYTES = 80_000, 1_300_000
P_OUTGOING, P_INCOMING = 0.55, 0.35  # the rest are internal
P_ANSWERED = 0.6
P_MISSING_RECORDING, P_NOT_AUDIO = 0.08, 0.02
P_ANONYMOUS = 0.05
RECORDING_OK, RECORDING_MISSING, RECORDING_NOT_AUDIO = "ok", "missing", "not_audio"
# What follows a missed incoming call (the rest: nobody calls back), and how soon.
P_CALLED_BACK, P_TRIED, P_CLIENT_CALLED_BACK = 0.35, 0.15, 0.15
P_DURING_THE_CALL = 0.2  # of the clients who got through themselves
MIN_CALLBACK_S, QUICK_CALLBACK_S, MAX_CALLBACK_S = 15, 120, 59 * 60 + 59
CALLBACK_SEED_SALT = 7919  # the callbacks' generator: seed * salt + 1, apart from the calls' own
CALLBACK_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # "Время перезвона", not the DD.MM.YYYY of "Время"
CALLBACK_TEXTS = {"none": "Оператор не перезвонил", "called_back": "Оператор перезвонил через {delay}",
                  "tried": "Оператор пытался перезвонить через {delay}",
                  "client_called_back": "Клиент дозвонился сам через {delay}"}
DURING_THE_CALL_TEXT = "Клиент дозвонился сам во время звонка"


@dataclass(frozen=True)
class SimCall:
    record_id: str
    epoch: int
    local_time: datetime
    direction: str  # incoming | outgoing | internal
    answered: bool
    scheme: str
    caller: str  # an extension or a phone number
    callee: str
    answered_by: str  # an extension, a phone number, or ""
    call_s: int
    talk_s: int | None
    answer_s: int | None
    recording: str  # ok | missing | not_audio
    recording_size: int
    new_client: int
    crm_owner: str
    # The truth the export's callback columns tell, for tests: none / called_back / tried /
    # client_called_back (None: not a missed incoming call), the delay, and the two columns.
    callback: str | None = None
    callback_delay_s: int | None = None
    callback_text: str = ""
    callback_local: datetime | None = None

    @property
    def employee_ext(self) -> str | None:
        """Whose call it is: who answered an incoming call, else who called (None: nobody known)."""
        value = self.answered_by if self.direction == "incoming" else self.caller
        return value if value in EXTENSIONS else None

    def as_json(self) -> dict[str, object]:
        data = asdict(self)
        data["local_time"] = self.local_time.strftime("%d.%m.%Y %H:%M:%S")
        data["local_date"] = self.local_time.strftime("%d.%m.%Y")
        data["employee_ext"] = self.employee_ext
        data["callback_local"] = self.callback_local.strftime(CALLBACK_TIME_FORMAT) if self.callback_local else ""
        return data


def generate(count: int, seed: int, newest_local: datetime = DEFAULT_NEWEST_LOCAL,
             tz_offset_h: float = DEFAULT_TZ_OFFSET_H) -> list[SimCall]:
    """`count` calls, newest first, going back in time from `newest_local`."""
    rng = random.Random(seed)
    calls: list[SimCall] = []
    local = newest_local
    for index in range(count):
        utc = local - timedelta(hours=tz_offset_h)
        epoch = int((utc - datetime(1970, 1, 1)).total_seconds())
        calls.append(_one_call(rng, f"{epoch}.{10000 + count - index}", epoch, local))
        local -= timedelta(seconds=rng.randint(MIN_GAP_S, MAX_GAP_S))
    callbacks = random.Random(seed * CALLBACK_SEED_SALT + 1)
    return [_with_callback(callbacks, call, newest_local) for call in calls]


def _with_callback(rng: random.Random, call: SimCall, newest_local: datetime) -> SimCall:
    """A missed incoming call with what Sipuni says came after it; any other call as it is."""
    if call.direction != "incoming" or call.answered:
        return call
    roll = rng.random()
    kind = ("called_back" if roll < P_CALLED_BACK else "tried" if roll < P_CALLED_BACK + P_TRIED
            else "client_called_back" if roll < P_CALLED_BACK + P_TRIED + P_CLIENT_CALLED_BACK else "none")
    quick = rng.random() < 0.5
    delay_s = rng.randint(MIN_CALLBACK_S, QUICK_CALLBACK_S if quick else MAX_CALLBACK_S)
    during_the_call = kind == "client_called_back" and rng.random() < P_DURING_THE_CALL
    at = call.local_time + timedelta(seconds=delay_s)
    # Nobody can call "anonymous" back, nor tell that an anonymous caller called again.
    if kind == "none" or call.caller == "anonymous" or (at > newest_local and not during_the_call):
        return replace(call, callback="none", callback_text=CALLBACK_TEXTS["none"])
    if during_the_call:
        return replace(call, callback=kind, callback_delay_s=0, callback_text=DURING_THE_CALL_TEXT)
    text = CALLBACK_TEXTS[kind].format(delay=spoken_delay(delay_s))
    return replace(call, callback=kind, callback_delay_s=delay_s, callback_text=text, callback_local=at)


def spoken_delay(seconds: int) -> str:
    """Sipuni's way of writing a delay: `27 сек`, `1 мин 12 сек`, `18 мин 54 сек`."""
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} мин {rest} сек" if minutes else f"{rest} сек"


def _phone(rng: random.Random) -> str:
    return f"99890{rng.randint(0, 9_999_999):07d}"


def _one_call(rng: random.Random, record_id: str, epoch: int, local: datetime) -> SimCall:
    roll = rng.random()
    direction = "outgoing" if roll < P_OUTGOING else "incoming" if roll < P_OUTGOING + P_INCOMING else "internal"
    answered = rng.random() < P_ANSWERED
    extension, other_extension = rng.sample(sorted(EXTENSIONS), 2)
    if direction == "outgoing":
        callee = _phone(rng)
        caller, answered_by, scheme = extension, ("+" + callee if answered else ""), "Исходящая"
    elif direction == "incoming":
        caller = "anonymous" if rng.random() < P_ANONYMOUS else _phone(rng)
        callee, answered_by, scheme = OUR_DID, (extension if answered else ""), "Test_parallel_income"
    else:
        caller, callee, scheme = extension, other_extension, ""
        answered_by = other_extension if answered else ""
    answer_s = rng.randint(2, 25)
    talk_s = rng.randint(5, 300)
    call_s = talk_s + answer_s if answered else rng.randint(2, 60)
    recording_roll = rng.random()
    recording = (RECORDING_MISSING if recording_roll < P_MISSING_RECORDING else
                 RECORDING_NOT_AUDIO if recording_roll < P_MISSING_RECORDING + P_NOT_AUDIO else RECORDING_OK)
    return SimCall(
        record_id=record_id, epoch=epoch, local_time=local, direction=direction, answered=answered, scheme=scheme,
        caller=caller, callee=callee, answered_by=answered_by, call_s=call_s,
        talk_s=talk_s if answered else None, answer_s=answer_s if answered else None, recording=recording,
        recording_size=rng.randint(MIN_RECORDING_BYTES, MAX_RECORDING_BYTES), new_client=rng.randint(0, 1),
        crm_owner=f"{extension} {extension}" if rng.random() < 0.5 else "",
    )
