"""A Sipuni statistics API simulator that behaves like the real service (see the reference notes):
signed requests ("Неправильный хеш" otherwise), `;`-CSV exports in the real header variants, MP3
recordings of realistic size, and faults on demand. Deterministic from a seed.

Run: `python -m simulators.sipuni --port 8091 --user 012345 --secret 0.xxxxxxxxxxx --calls 500 --seed 1`
"""
