"""Every export variant the reference documents, parsed by header name."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from workers.sipuni.csv_parser import (
    CsvFormatError,
    call_from_row,
    extension_of,
    iter_file,
    normalise_header,
    parse_bytes,
    usual_offset_s,
)

DATA = Path(__file__).parent / "data"
UZ = timezone(timedelta(hours=5))

# suhanjer/sipuni stat.csv rows (reference §2.3): BOM, old header without ", сек", names, trailing ";".
OLD_HEADER_WITH_BOM = (
    "\ufeffТип;Статус;Время;Схема;Откуда;Куда;Кто ответил;Длительность звонка;Длительность разговора;Время ответа;"
    "Оценка;ID записи;Метка;Теги;ID заказа звонка;Запись существует;Новый клиент;Состояние перезвона;Время перезвона;"
    "Информация из CRM;Ответственный из CRM;\n"
    "Входящий;Не отвечен;31.03.2023 22:04:16;Шемякина;77051911400;77750310538;;2;;;;1680278656.567988;;;;1;1;"
    "Оператор не перезвонил;;;\n"
    "Исходящий;Отвечен;31.03.2023 20:59:03;Мегапарк;294 (Mega);7016648822;7016648822;197;187;10;;1680274743.566837;"
    ";;;1;1;;;;\n"
    "Внутренний;Отвечен;31.03.2023 19:12:14;;222 (M2);212 (М1);212 (М1);49;43;6;;1680268334.564523;;;;1;0;;;Имя: М1. ;\n"
)

# The 2015 PHP sample's header (reference §2.2): "Продолжительность", lower-case values, ";;".
SAMPLE_2015 = (
    "Тип;Статус;Время;Схема;Откуда;Куда;Кто ответил;Продолжительность звонка;Продолжительность разговора;"
    "Время ответа;Оценка;ID записи;Метка;ID заказа звонка;;\n"
    "исходящий;отвечен;01.06.2015 12:00:05;Исходящая;201;74951234567;74951234567;65;60;5;;1433149205.1234;;;;\n"
    "входящий;не отвечен;01.06.2015 11:59:00;Входящая;anonymous;74957654321;;7;;;;1433149140.1233;;;;\n"
)

# showTreeId=1, outgoingLine=1, hangupinitor=1 (24 columns, reference §2.2); time without seconds.
FLAGS_24 = (
    "Тип;Статус;Время;ID схемы звонка;Схема;Исходящая линия;Откуда;Куда;Кто ответил;Длительность звонка, сек;"
    "Длительность разговора, сек;Время ответа, сек;Оценка;ID записи;Метка;Теги;Инициатор завершения звонка;"
    "ID заказа звонка;Запись существует;Новый клиент;Состояние перезвона;Время перезвона;Информация из CRM;"
    "Ответственный из CRM\n"
    "Входящий;Отвечен;09.10.2025 10:37;000-913898;Сайт;998785555505;940541409;998785555505;252 (Гульдала);"
    "30;21;9;;1759988220.1;;;оператор;;1;0;;;;\n"
)


def test_navai_export_without_bom_with_ragged_rows():
    rows = list(iter_file(DATA / "sipuni-export-sample.csv"))
    assert len(rows) == 20
    first = call_from_row(rows[0])
    assert first.record_id == "1759740560.70091"
    assert (first.direction, first.status) == ("outgoing", "missed")
    assert first.local_time == datetime(2025, 10, 6, 13, 49, 20)
    assert first.started_at == datetime(2025, 10, 6, 13, 49, 20, tzinfo=UZ)
    assert first.started_at == datetime.fromtimestamp(1759740560, timezone.utc)
    assert (first.call_duration_s, first.talk_duration_s, first.answer_duration_s) == (40, None, None)
    assert first.employee_ext == "210"
    assert first.raw["Ответственный из CRM"] == "210 210"
    answered_incoming = call_from_row(rows[11])
    assert answered_incoming.direction == "incoming" and answered_incoming.status == "answered"
    assert answered_incoming.employee_ext == "210"  # from "Кто ответил", not "Откуда"
    assert (answered_incoming.call_duration_s, answered_incoming.talk_duration_s,
            answered_incoming.answer_duration_s) == (22, 19, 3)
    missed_incoming = call_from_row(rows[13])
    assert missed_incoming.employee_ext is None
    assert missed_incoming.raw["Время перезвона"] == "2025-10-06 13:37:55"


def test_old_header_with_bom_names_and_trailing_semicolons():
    rows = parse_bytes(OLD_HEADER_WITH_BOM.encode("utf-8"))
    assert len(rows) == 3
    assert "Тип" in rows[0] and "\ufeffТип" not in rows[0]
    missed, outgoing, internal = (call_from_row(row) for row in rows)
    assert missed.utc_offset_s == 6 * 3600  # Kazakhstan account
    assert missed.call_duration_s == 2 and missed.employee_ext is None
    assert outgoing.employee_ext == "294" and outgoing.talk_duration_s == 187 and outgoing.answer_duration_s == 10
    assert internal.employee_ext == "222" and internal.answered_by == "212 (М1)"
    assert internal.started_at == datetime.fromtimestamp(1680268334, timezone.utc)


def test_2015_header_lower_case_values_and_double_semicolon():
    rows = parse_bytes(SAMPLE_2015.encode("utf-8"))
    outgoing, incoming = (call_from_row(row) for row in rows)
    assert (outgoing.direction, outgoing.status, outgoing.employee_ext) == ("outgoing", "answered", "201")
    assert (outgoing.call_duration_s, outgoing.talk_duration_s, outgoing.answer_duration_s) == (65, 60, 5)
    assert outgoing.utc_offset_s == 3 * 3600  # Moscow account
    assert (incoming.direction, incoming.status, incoming.from_number) == ("incoming", "missed", "anonymous")


def test_flag_columns_shift_positions_and_time_without_seconds():
    (row,) = parse_bytes(FLAGS_24.encode("utf-8"))
    call = call_from_row(row)
    assert call.record_id == "1759988220.1"
    assert call.from_number == "940541409" and call.employee_ext == "252"
    assert (call.call_duration_s, call.talk_duration_s, call.answer_duration_s) == (30, 21, 9)
    assert call.local_time == datetime(2025, 10, 9, 10, 37)
    assert call.utc_offset_s == 5 * 3600  # 10:37 local vs 05:37:00 UTC in the ID


def test_crlf_lines_blank_lines_and_extra_fields_are_tolerated():
    text = FLAGS_24.replace("\n", "\r\n") + "\r\n" + FLAGS_24.splitlines()[1] + ";extra;;\r\n"
    rows = parse_bytes(text.encode("utf-8"))
    assert len(rows) == 2
    assert rows[1]["_extra"] == "extra"


def test_header_only_export_has_no_rows():
    assert parse_bytes(FLAGS_24.splitlines()[0].encode("utf-8") + b"\n") == []


@pytest.mark.parametrize("body", [
    "<html><body><h1>Неправильный хеш</h1></body></html>".encode("utf-8"),
    b"<!DOCTYPE html><html><body>Error</body></html>",
])
def test_html_error_pages_are_errors_not_csv(body):
    with pytest.raises(CsvFormatError):
        parse_bytes(body)


def test_an_unknown_header_or_invalid_utf8_is_an_error():
    with pytest.raises(CsvFormatError, match="ID записи|record_id"):
        parse_bytes("a;b;c\n1;2;3\n".encode("utf-8"))
    with pytest.raises(CsvFormatError, match="UTF-8"):
        parse_bytes(FLAGS_24.encode("utf-8") + b"\xff\xfe;\n")


def test_header_normalisation():
    assert normalise_header("Длительность звонка, сек") == "длительность звонка"
    assert normalise_header(" Продолжительность  разговора ") == "длительность разговора"
    assert normalise_header("\ufeffТип") == "тип"
    assert normalise_header("Время ответа, сек") == "время ответа"


@pytest.mark.parametrize("value, expected", [
    ("210", "210"), ("294 (Mega)", "294"), (" 252 (Гульдала)", "252"), ("205 (Дуба) 65", "205"),
    ("+998930836021", None), ("998905597971", None), ("anonymous", None), ("", None), ("7", None),
])
def test_extension_of(value, expected):
    assert extension_of(value) == expected


def test_a_row_without_epoch_in_its_id_uses_the_files_usual_offset():
    rows = list(iter_file(DATA / "sipuni-export-sample.csv"))
    offset = usual_offset_s(rows)
    assert offset == 5 * 3600
    odd = {**rows[0], "ID записи": "abc.1"}
    call = call_from_row(odd, offset)
    assert call.started_at == datetime(2025, 10, 6, 13, 49, 20, tzinfo=UZ)
