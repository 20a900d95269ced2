"""Render calls as Sipuni renders its exports, in the variants seen in real files.

- header "new" (2025: "Длительность звонка, сек"), "old" (2021-2023: no ", сек"), "2015"
  ("Продолжительность ...", lower-case values, 14 columns and `;;` at the end of every line);
- with or without a UTF-8 BOM; LF line endings; no quoting;
- trailing `;`: "ragged" (only on rows whose "Ответственный из CRM" is filled, like the navai
  export), "all" (header and every row, like the 2021 file) or "none";
- `names`: extensions shown as `294 (Mega)`;
- `/statistic/export` show-flags add columns: showTreeId, outgoingLine, hangupinitor;
- the callback columns of a missed incoming call ("Состояние перезвона" as text, "Время перезвона"
  as `YYYY-MM-DD HH:MM:SS`), empty on every other row; the 2015 header has neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from simulators.sipuni.calls import CALLBACK_TIME_FORMAT, EXTENSIONS, SimCall

NEW_HEADER = ("Тип;Статус;Время;Схема;Откуда;Куда;Кто ответил;Длительность звонка, сек;Длительность разговора, сек;"
              "Время ответа, сек;Оценка;ID записи;Метка;Теги;ID заказа звонка;Запись существует;Новый клиент;"
              "Состояние перезвона;Время перезвона;Информация из CRM;Ответственный из CRM").split(";")
OLD_HEADER = [name.replace(", сек", "") for name in NEW_HEADER]
HEADER_2015 = ("Тип;Статус;Время;Схема;Откуда;Куда;Кто ответил;Продолжительность звонка;"
               "Продолжительность разговора;Время ответа;Оценка;ID записи;Метка;ID заказа звонка").split(";")
BOM = "\ufeff"


@dataclass
class FormatOptions:
    header: str = "new"  # new | old | 2015
    bom: bool = False
    names: bool = False
    trailing: str = "ragged"  # ragged | all | none
    seconds: bool = True  # Время with seconds (a Java client also saw HH:MM)

    def update(self, changes: dict[str, object]) -> None:
        for key, value in changes.items():
            if not hasattr(self, key):
                raise ValueError(f"unknown format option {key!r}")
            setattr(self, key, value)
        if self.header not in ("new", "old", "2015") or self.trailing not in ("ragged", "all", "none"):
            raise ValueError("header must be new|old|2015 and trailing ragged|all|none")


def _header(options: FormatOptions, flags: dict[str, str]) -> list[str]:
    if options.header == "2015":
        return list(HEADER_2015)
    names = list(NEW_HEADER if options.header == "new" else OLD_HEADER)
    if flags.get("hangupinitor") == "1":
        names.insert(names.index("Теги") + 1, "Инициатор завершения звонка")
    if flags.get("outgoingLine") == "1":
        names.insert(names.index("Схема") + 1, "Исходящая линия")
    if flags.get("showTreeId") == "1":
        names.insert(names.index("Схема"), "ID схемы звонка")
    return names


def _party(value: str, options: FormatOptions) -> str:
    if options.names and value in EXTENSIONS:
        return f"{value} ({EXTENSIONS[value]})"
    return value


def _values(call: SimCall, options: FormatOptions) -> dict[str, str]:
    lower = options.header == "2015"
    kind = {"incoming": "Входящий", "outgoing": "Исходящий", "internal": "Внутренний"}[call.direction]
    status = "Отвечен" if call.answered else "Не отвечен"
    time_format = "%d.%m.%Y %H:%M:%S" if options.seconds else "%d.%m.%Y %H:%M"
    return {
        "Тип": kind.lower() if lower else kind, "Статус": status.lower() if lower else status,
        "Время": call.local_time.strftime(time_format), "Схема": call.scheme,
        "Откуда": _party(call.caller, options), "Куда": _party(call.callee, options),
        "Кто ответил": _party(call.answered_by, options), "Длительность звонка": str(call.call_s),
        "Длительность разговора": "" if call.talk_s is None else str(call.talk_s),
        "Время ответа": "" if call.answer_s is None else str(call.answer_s), "ID записи": call.record_id,
        "Запись существует": "1", "Новый клиент": str(call.new_client), "Ответственный из CRM": call.crm_owner,
        "ID схемы звонка": "000-913898", "Исходящая линия": "", "Инициатор завершения звонка": "оператор",
        "Информация из CRM": "Сценарий: Тест. " if call.crm_owner else "",
        "Состояние перезвона": call.callback_text,
        "Время перезвона": call.callback_local.strftime(CALLBACK_TIME_FORMAT) if call.callback_local else "",
    }


def _lookup(values: dict[str, str], column: str) -> str:
    key = column.replace(", сек", "").replace("Продолжительность", "Длительность")
    return values.get(key, "")


def render_lines(calls: Iterable[SimCall], options: FormatOptions, flags: dict[str, str] | None = None) -> Iterator[str]:
    """The export as text lines (each ending with LF); the first one carries the BOM if asked."""
    header = _header(options, flags or {})
    end = ";;" if options.header == "2015" else (";" if options.trailing == "all" else "")
    yield (BOM if options.bom else "") + ";".join(header) + end + "\n"
    for call in calls:
        values = _values(call, options)
        fields = [_lookup(values, column) for column in header]
        row_end = end
        if options.header != "2015" and options.trailing == "ragged" and call.crm_owner:
            row_end = ";"
        yield ";".join(fields) + row_end + "\n"


def render(calls: Iterable[SimCall], options: FormatOptions, flags: dict[str, str] | None = None) -> bytes:
    return "".join(render_lines(calls, options, flags)).encode("utf-8")
