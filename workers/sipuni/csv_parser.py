"""Parse Sipuni statistics exports (`/statistic/export`, `/statistic/export/all`).

The format, per the reference notes: UTF-8 with or without a BOM, `;`-separated, no quoting, LF
line endings, ragged trailing fields (a trailing `;` on some rows or on all of them, `;;` in 2015
files), and headers whose spelling changed over time ("Длительность звонка, сек", "Длительность
звонка", "Продолжительность звонка"). Columns are found by normalised header name, never by
position, because flags (showTreeId, outgoingLine, hangupinitor, ...) insert columns.

`Время` is the account's local time; the integer part of "ID записи" is the UTC epoch of the call
start. Their difference gives the account's UTC offset, so start times are stored timezone-aware.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

from shared.sipuni.signing import BAD_HASH_MARKER

# Canonical field names for every column the reference knows, keyed by normalised header.
HEADER_FIELDS = {
    "тип": "type",
    "статус": "status",
    "время": "time",
    "id схемы звонка": "scheme_id",
    "схема": "scheme",
    "исходящая линия": "outgoing_line",
    "откуда": "from",
    "куда": "to",
    "кому звонили": "numbers_ringed",
    "кто разговаривал": "numbers_involved",
    "кто ответил": "answered_by",
    "длительность звонка": "call_duration",
    "длительность разговора": "talk_duration",
    "время ответа": "answer_time",
    "оценка": "rating",
    "id записи": "record_id",
    "метка": "label",
    "теги": "tags",
    "инициатор завершения звонка": "hangup_initiator",
    "id заказа звонка": "order_id",
    "запись существует": "record_exists",
    "новый клиент": "new_client",
    "состояние перезвона": "callback_state",
    "время перезвона": "callback_time",
    "информация из crm": "crm_info",
    "ответственный из crm": "crm_owner",
}
REQUIRED_FIELDS = ("record_id", "time")

DIRECTIONS = {"входящий": "incoming", "исходящий": "outgoing", "внутренний": "internal"}
STATUSES = {"отвечен": "answered", "не отвечен": "missed"}
TIME_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M")
# An extension is 2-6 digits at the start of the field, maybe followed by " (Name)".
EXTENSION_RE = re.compile(r"^\s*(\d{2,6})(?!\d)\b")
RECORD_ID_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$")
_UNIT_SUFFIX_RE = re.compile(r"\s*[,(]\s*сек\.?\)?\s*$")
_SPACES_RE = re.compile(r"\s+")
# Offsets are whole quarter hours; the ID's epoch and Время agree to the second on real data.
OFFSET_STEP_S = 15 * 60
OFFSET_TOLERANCE_S = 120
MIN_OFFSET_S = -12 * 3600
MAX_OFFSET_S = 14 * 3600
# How much of an error body is searched for Sipuni's "wrong hash" marker (its page may carry a
# long head of markup before it).
HTML_SNIFF_BYTES = 64 * 1024


class CsvFormatError(ValueError):
    """The body is not a Sipuni export (HTML error page, unknown header, bad encoding)."""


def normalise_header(name: str) -> str:
    """`"Длительность звонка, сек"`, `"Длительность звонка"` and `"Продолжительность звонка"`
    all become `"длительность звонка"`."""
    text = name.replace("\ufeff", "").strip().lower().replace("ё", "е")
    text = _UNIT_SUFFIX_RE.sub("", text)
    text = text.replace("продолжительность", "длительность")
    return _SPACES_RE.sub(" ", text).strip()


@dataclass(frozen=True)
class Header:
    names: tuple[str, ...]  # as in the file
    fields: tuple[str | None, ...]  # canonical field per position; None for unknown or empty names

    @classmethod
    def parse(cls, names: list[str]) -> "Header":
        cleaned = tuple(name.replace("\ufeff", "").strip() for name in names)
        fields = tuple(HEADER_FIELDS.get(normalise_header(name)) if name else None for name in cleaned)
        missing = [name for name in REQUIRED_FIELDS if name not in fields]
        if missing:
            raise CsvFormatError(
                f"not a Sipuni export: the header has no {', '.join(missing)} column "
                f"(header: {';'.join(cleaned)[:200]!r})")
        return cls(cleaned, fields)

    def row(self, values: list[str]) -> dict[str, str]:
        """The row as {header name: value}; missing trailing fields are empty, extra empty ones dropped."""
        row: dict[str, str] = {}
        for index, name in enumerate(self.names):
            if name:
                row[name] = values[index] if index < len(values) else ""
        extra = [value for value in values[len(self.names):] if value != ""]
        if extra:
            row["_extra"] = ";".join(extra)
        return row


@dataclass(frozen=True)
class SipuniCall:
    """One call of an export, normalised. `raw` keeps the row as the file had it."""

    record_id: str
    direction: str | None
    status: str | None
    local_time: datetime | None  # naive, the account's local time
    utc_offset_s: int | None
    started_at: datetime | None  # timezone-aware
    from_number: str
    to_number: str
    answered_by: str
    call_duration_s: int | None
    talk_duration_s: int | None
    answer_duration_s: int | None
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def employee_field(self) -> str:
        """Where the employee's extension is: who answered an incoming call, else who called."""
        return self.answered_by if self.direction == "incoming" else self.from_number

    @property
    def employee_ext(self) -> str | None:
        return extension_of(self.employee_field)

    @property
    def local_date(self) -> date | None:
        return self.local_time.date() if self.local_time else None


def extension_of(value: str) -> str | None:
    """`"294 (Mega)"` → `"294"`; `"210"` → `"210"`; a phone number or `anonymous` → None."""
    match = EXTENSION_RE.match(value or "")
    return match.group(1) if match else None


def parse_local_time(value: str) -> datetime | None:
    text = (value or "").strip()
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def epoch_of_record_id(record_id: str) -> int | None:
    head = (record_id or "").split(".", 1)[0]
    return int(head) if head.isdigit() else None


def utc_offset_s(local_time: datetime | None, record_id: str) -> int | None:
    """The account's UTC offset from one row, or None when the row cannot tell."""
    epoch = epoch_of_record_id(record_id)
    if local_time is None or epoch is None:
        return None
    utc_naive = datetime(1970, 1, 1) + timedelta(seconds=epoch)
    diff_s = (local_time - utc_naive).total_seconds()
    offset_s = int(round(diff_s / OFFSET_STEP_S) * OFFSET_STEP_S)
    if abs(diff_s - offset_s) > OFFSET_TOLERANCE_S or not MIN_OFFSET_S <= offset_s <= MAX_OFFSET_S:
        return None
    return offset_s


def _int_or_none(value: str | None) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


def call_from_row(row: dict[str, str], default_offset_s: int | None = None) -> SipuniCall:
    """Normalise one row ({header name: value}). `default_offset_s` (the file's usual offset)
    is used when the row itself cannot tell its offset."""
    by_field = {HEADER_FIELDS.get(normalise_header(name)): value for name, value in row.items()}
    by_field.pop(None, None)
    record_id = (by_field.get("record_id") or "").strip()
    local_time = parse_local_time(by_field.get("time", ""))
    offset_s = utc_offset_s(local_time, record_id)
    effective_offset_s = offset_s if offset_s is not None else default_offset_s
    return SipuniCall(
        record_id=record_id,
        direction=DIRECTIONS.get((by_field.get("type") or "").strip().lower()),
        status=STATUSES.get((by_field.get("status") or "").strip().lower()),
        local_time=local_time,
        utc_offset_s=effective_offset_s,
        started_at=_started_at(local_time, record_id, effective_offset_s),
        from_number=(by_field.get("from") or "").strip(),
        to_number=(by_field.get("to") or "").strip(),
        answered_by=(by_field.get("answered_by") or "").strip(),
        call_duration_s=_int_or_none(by_field.get("call_duration")),
        talk_duration_s=_int_or_none(by_field.get("talk_duration")),
        answer_duration_s=_int_or_none(by_field.get("answer_time")),
        raw=dict(row),
    )


def _started_at(local_time: datetime | None, record_id: str, offset_s: int | None) -> datetime | None:
    if local_time is not None and offset_s is not None:
        return local_time.replace(tzinfo=timezone(timedelta(seconds=offset_s)))
    epoch = epoch_of_record_id(record_id)
    if epoch is not None:
        return datetime.fromtimestamp(epoch, timezone.utc)
    return None  # neither a usable time nor an epoch: the row is invalid


def is_valid_record_id(record_id: str) -> bool:
    """Safe to send to /statistic/record and to use in a file name."""
    return bool(RECORD_ID_RE.match(record_id)) and ".." not in record_id


def check_not_error_page(head: bytes) -> None:
    """Raise when the first bytes of a body are an HTML page (Sipuni's errors), not a CSV."""
    text = head[:HTML_SNIFF_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff \r\n\t")
    if BAD_HASH_MARKER in text:
        raise CsvFormatError(f"Sipuni answered \"{BAD_HASH_MARKER}\" (wrong signature): check the account number and secret")
    if text.startswith("<"):
        raise CsvFormatError("Sipuni answered with an HTML page instead of a CSV export")


def iter_rows(lines: Iterable[str]) -> Iterator[dict[str, str]]:
    """Rows as {header name: value} from text lines; the first non-empty line is the header."""
    reader = csv.reader(lines, delimiter=";", quoting=csv.QUOTE_NONE)
    header: Header | None = None
    for values in reader:
        if not values or all(value.strip() == "" for value in values):
            continue
        if header is None:
            header = Header.parse(values)
            continue
        yield header.row(values)
    if header is None:
        raise CsvFormatError("the export is empty: not even a header line")


def open_text(stream: BinaryIO) -> io.TextIOWrapper:
    """Decode as UTF-8, dropping a BOM if there is one; invalid bytes are an error, not a guess."""
    return io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")


def iter_file(path: Path) -> Iterator[dict[str, str]]:
    """Stream the rows of a saved export (memory stays flat for any size)."""
    with path.open("rb") as stream:
        yield from iter_stream(stream)


class _Prepended(io.RawIOBase):
    """A readable raw stream: `head` (already read), then the rest of `source`."""

    def __init__(self, head: bytes, source: BinaryIO) -> None:
        self._head = head
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: "memoryview | bytearray") -> int:  # type: ignore[override]
        if self._head:
            data, self._head = self._head[:len(buffer)], self._head[len(buffer):]
        else:
            data = self._source.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def iter_stream(stream: BinaryIO) -> Iterator[dict[str, str]]:
    """Stream the rows of an export from any readable binary stream (a file, an S3 body)."""
    head = stream.read(HTML_SNIFF_BYTES)
    check_not_error_page(head)
    try:
        yield from iter_rows(open_text(io.BufferedReader(_Prepended(head, stream))))  # type: ignore[arg-type]
    except UnicodeDecodeError as exc:
        raise CsvFormatError(f"the export is not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc


def parse_bytes(body: bytes) -> list[dict[str, str]]:
    check_not_error_page(body)
    try:
        text = codecs.decode(body, "utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvFormatError(f"the export is not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    return list(iter_rows(io.StringIO(text, newline="")))


def usual_offset_s(rows: Iterable[dict[str, str]]) -> int | None:
    """The most common UTC offset among rows that tell one (the account's timezone)."""
    counts: Counter[int] = Counter()
    for row in rows:
        call = call_from_row(row)
        offset = utc_offset_s(call.local_time, call.record_id)
        if offset is not None:
            counts[offset] += 1
    return counts.most_common(1)[0][0] if counts else None
