"""The directory's cursor: what `encode` gives back decodes to itself, and nothing else decodes."""

from __future__ import annotations

import base64

import pytest

from api.directory.cursor import Cursor, CursorError, decode, encode


@pytest.mark.parametrize("cursor", [Cursor("Karimov 0001", 1), Cursor(None, 2**31 - 1), Cursor("Юсупова ʻOʻ", 7),
                                    Cursor('a "quoted" \\ name', 3), Cursor("", 4)])
def test_a_cursor_survives_its_round_trip(cursor):
    text = encode(cursor)
    assert decode(text) == cursor and text.isascii() and "=" not in text


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize("text", [
    "", "!!!", _b64("not json"), _b64("[]"), _b64('["a"]'), _b64('["a", 1, 2]'), _b64('{"a": 1}'),
    _b64('["a", 0]'), _b64('["a", -1]'), _b64(f'["a", {2**31}]'), _b64('["a", 1.5]'), _b64('["a", true]'),
    _b64('[1, 1]'), _b64('["a\\u0000", 1]'), _b64('["\\udc00", 1]'), _b64(f'["{"x" * 256}", 1]'),
    base64.urlsafe_b64encode(b'["\xff", 1]').decode(),
])
def test_anything_else_is_refused(text):
    with pytest.raises(CursorError):
        decode(text)
