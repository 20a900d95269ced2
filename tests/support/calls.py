"""Calls with real audio files on disk, for the AI pipeline and /calls tests."""

from __future__ import annotations

import math
import secrets
import struct
import wave
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.orm import Session

from shared.models import Call, CallLogEntry, Criterion, Organization, User
from shared.settings import Settings

SAMPLE_RATE_HZ = 8000
TONE_HZ = 440


def write_wav(path: Path, seconds: float = 0.5) -> Path:
    """A small, real mono 16-bit WAV file (a tone), like a telephony recording."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * TONE_HZ * i / SAMPLE_RATE_HZ)))
                      for i in range(int(SAMPLE_RATE_HZ * seconds)))
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(SAMPLE_RATE_HZ)
        audio.writeframes(frames)
    return path


def make_call(db: Session, settings: Settings, organization_id: int, employee: User | None = None, *,
              seconds: float = 0.5, with_audio: bool = True, started_at: datetime | None = None,
              ai_status: str = "pending", logged: bool = True) -> Call:
    """A stored call whose recording (relative to DATA_DIR) exists on disk, with its call-log row
    as step 1 writes it before step 2 stores a call (`logged=False`: a call stored without one)."""
    external_id = secrets.token_hex(6)
    relative = f"recordings/{organization_id}/{external_id}.wav"
    if with_audio:
        write_wav(Path(settings.data_dir) / relative, seconds)
    call = Call(organization_id=organization_id, employee_id=employee.id if employee else None,
                external_id=external_id, direction="incoming", status="answered",
                started_at=started_at or datetime.now(timezone.utc), from_number="+998901234567",
                to_number="210", recording_path=relative if with_audio else None, ai_status=ai_status, raw={})
    db.add(call)
    if logged:
        db.add(CallLogEntry(organization_id=organization_id, record_id=external_id, direction=call.direction,
                            status=call.status, started_at=call.started_at, employee_id=call.employee_id,
                            ext_code=employee.ext_code if employee else None, from_number=call.from_number,
                            to_number=call.to_number, has_recording=True))
    db.commit()
    return call


def make_criteria(db: Session, organization: Organization, *specs: tuple[str, float]) -> list[Criterion]:
    criteria = [Criterion(organization_id=organization.id, name=name, weight=weight, description=f"{name} rules")
                for name, weight in specs]
    db.add_all(criteria)
    db.commit()
    return criteria
