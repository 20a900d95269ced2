"""How the connection test reads answers the simulator does not give (pure: status, headers, body)."""

from __future__ import annotations

import pytest

from shared.sipuni.probe import ProbeReason, judge_answer

HEADER = "Тип;Статус;Время;Схема;Откуда;Куда;Кто ответил\n".encode()


@pytest.mark.parametrize(("status", "retry_after", "head", "reason"), [
    (200, None, HEADER, ProbeReason.OK),
    (200, None, b"\xef\xbb\xbf" + HEADER, ProbeReason.OK),  # with a BOM
    (200, None, HEADER.split(b"\n")[0], ProbeReason.OK),  # header only: an account without calls
    (200, None, "<html><body><h1>Неправильный хеш</h1></body></html>".encode(), ProbeReason.WRONG_CREDENTIALS),
    (500, None, b"<html>" + b" " * 5000 + "Неправильный хеш".encode(), ProbeReason.WRONG_CREDENTIALS),
    (403, None, b"Forbidden", ProbeReason.WRONG_CREDENTIALS),
    (401, None, b"", ProbeReason.WRONG_CREDENTIALS),
    (429, "abc", b"", ProbeReason.RATE_LIMITED),
    (504, None, b"<html>Gateway Timeout</html>", ProbeReason.UNREACHABLE),
    (200, None, b"<html><body>Login</body></html>", ProbeReason.UNEXPECTED),
    (200, None, b'{"success": false}', ProbeReason.UNEXPECTED),
    (200, None, b"", ProbeReason.UNEXPECTED),
    (404, None, b"Not Found", ProbeReason.UNEXPECTED),
])
def test_answers_are_judged(status, retry_after, head, reason):
    result = judge_answer(status, retry_after, head, "060957")
    assert result.reason is reason, result.message
    assert result.success is (reason is ProbeReason.OK)
    assert result.as_json() == {"success": result.success, "message": result.message, "reason": reason.value}


def test_messages_say_what_to_do():
    assert judge_answer(429, "abc", b"", "1").message == "Sipuni is limiting requests (HTTP 429); try again later"
    assert judge_answer(200, None, b"<p>x</p>", "1").message == "Sipuni answered HTTP 200 with an HTML page"
    assert judge_answer(403, None, b"", "060957").message == "Sipuni refused account 060957 (HTTP 403)"
