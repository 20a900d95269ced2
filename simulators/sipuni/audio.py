"""Deterministic MP3-like recordings, cheap to stream at any size.

The bytes look like what Sipuni serves: MPEG 2.5 layer III, 32 kbps, 8 kHz, joint stereo frames
(`FF E3 48 44`, 288 bytes each), the first one a LAME "Info" frame, no ID3 tag. The payload is
pseudo-random per recording id, built once as a block of frames and repeated.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator

FRAME_HEADER = bytes([0xFF, 0xE3, 0x48, 0x44])
FRAME_BYTES = 288  # 72 * 32000 / 8000
SIDE_INFO_BYTES = 17  # MPEG 2.5, joint stereo
BLOCK_FRAMES = 256
CHUNK_BYTES = 64 * 1024


def info_frame() -> bytes:
    body = bytes(SIDE_INFO_BYTES) + b"Info" + bytes(4) + b"LAME3.100"
    return (FRAME_HEADER + body).ljust(FRAME_BYTES, b"\x00")


def _block(record_id: str) -> bytes:
    rng = random.Random(hashlib.sha256(record_id.encode()).digest())
    return b"".join(FRAME_HEADER + rng.randbytes(FRAME_BYTES - len(FRAME_HEADER)) for _ in range(BLOCK_FRAMES))


def format_head(audio_format: str) -> bytes:
    """The first bytes of a recording in `audio_format`: MP3 frames as they are, or the magic of a
    WAV (`RIFF....WAVE`) or Ogg (`OggS`) file over them (the rest stays frame data: the client
    decides by the magic bytes only)."""
    if audio_format == "wav":
        return b"RIFF" + bytes(4) + b"WAVEfmt "
    if audio_format == "ogg":
        return b"OggS" + bytes(12)
    return b""


def chunks(record_id: str, size: int, chunk_bytes: int = CHUNK_BYTES, audio_format: str = "mp3") -> Iterator[bytes]:
    """The recording's bytes, `size` of them, in chunks; memory stays at one block."""
    magic = format_head(audio_format)
    head = (magic + info_frame()[len(magic):])[:size]
    yield head
    remaining = size - len(head)
    block = memoryview(_block(record_id))
    position = 0
    while remaining > 0:
        take = min(chunk_bytes, remaining, len(block) - position)
        yield bytes(block[position:position + take])
        remaining -= take
        position = (position + take) % len(block)


def content(record_id: str, size: int, audio_format: str = "mp3") -> bytes:
    return b"".join(chunks(record_id, size, audio_format=audio_format))


def sha256_of(record_id: str, size: int, audio_format: str = "mp3") -> str:
    digest = hashlib.sha256()
    for chunk in chunks(record_id, size, audio_format=audio_format):
        digest.update(chunk)
    return digest.hexdigest()
