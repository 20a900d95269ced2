"""The simulator itself: deterministic data, the hash check, formats and recordings."""

from __future__ import annotations

import requests

from simulators.sipuni import audio
from simulators.sipuni.calls import generate
from simulators.sipuni.csv_format import FormatOptions, render
from workers.sipuni.signing import signed


def test_calls_are_deterministic_from_the_seed_and_ids_carry_the_utc_epoch():
    first, again, other = generate(50, seed=3), generate(50, seed=3), generate(50, seed=4)
    assert first == again and first != other
    call = first[0]
    assert int(call.record_id.split(".")[0]) == call.epoch
    assert (call.local_time - call.local_time.replace(hour=0)).seconds % 60 == call.epoch % 60


def test_formats_follow_the_real_variants():
    calls = generate(5, seed=1)
    bom_old = render(calls, FormatOptions(header="old", bom=True, trailing="all")).decode("utf-8")
    assert bom_old.startswith("\ufeffТип;Статус;Время;") and "Длительность звонка;" in bom_old
    assert all(line.endswith(";") for line in bom_old.splitlines())
    old_2015 = render(calls, FormatOptions(header="2015")).decode("utf-8").splitlines()
    assert old_2015[0].endswith("ID заказа звонка;;") and old_2015[1].split(";")[0].islower()


def test_recordings_look_like_sipuni_mp3_and_stream_any_size():
    head = audio.content("1.1", 1000)
    assert head[:4] == bytes([0xFF, 0xE3, 0x48, 0x44]) and b"Info" in head[:64]
    assert sum(len(chunk) for chunk in audio.chunks("1.1", 5_000_001)) == 5_000_001
    assert audio.content("1.1", 300_000) != audio.content("1.2", 300_000)


def test_the_server_checks_the_hash(sipuni, settings):
    url = f"{settings.sipuni_api_url}/statistic/export/all"
    params = {"limit": "3", "order": "desc", "page": "1", "user": settings.sipuni_user}
    good = requests.post(url, data=signed(params, settings.sipuni_secret), timeout=10)
    assert good.status_code == 200 and len(good.text.splitlines()) == 4
    bad = requests.post(url, data=signed(params, "0.wrong"), timeout=10)
    assert bad.status_code == 500 and "Неправильный хеш" in bad.text
    assert sipuni.stats()["requests"]["badHash"] == 1
