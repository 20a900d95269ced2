"""Speech-to-text over HTTP, the original's contract.

`POST {STT_API_URL}` as multipart/form-data: `file` (the audio), `diarization=true`, `language`.
Answer: `{"segments": [{"speaker", "text", "start_ms", "end_ms"}]}`, or `startMs`/`endMs`.
Timeouts, 429 and 5xx are retried (workers.upstream_http); 413 (file too large) and other 4xx are
final.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import requests
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from shared.ratelimit import RateLimiter
from workers.ai.errors import AiFailure, body_excerpt
from workers.ai.limits import Deadline
from workers.upstream_http import RetryPolicy, request_with_retries

STT_ATTEMPTS = 3
STT_BASE_DELAY_S = 1.0
STT_MAX_DELAY_S = 10.0
# Read timeout for one upload: a base plus a share per megabyte of audio, as the original did
# (it allowed 10 min + 2 min/MB); capped by what is left of the task's time limit.
STT_BASE_READ_TIMEOUT_S = 120.0
STT_READ_TIMEOUT_PER_MB_S = 60.0
STT_BACKOFF_RESERVE_S = 2 * STT_MAX_DELAY_S
BYTES_PER_MB = 1024 * 1024
MAX_SPEAKER_LENGTH = 32


class Segment(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    speaker: str = "unknown"
    text: str
    start_ms: int = Field(ge=0, validation_alias=AliasChoices("start_ms", "startMs"))
    end_ms: int = Field(ge=0, validation_alias=AliasChoices("end_ms", "endMs"))


class SttAnswer(BaseModel):
    segments: list[Segment]


def wanted_read_timeout_s(size_bytes: int) -> float:
    return STT_BASE_READ_TIMEOUT_S + STT_READ_TIMEOUT_PER_MB_S * size_bytes / BYTES_PER_MB


def transcribe_file(http: requests.Session, url: str, language: str, audio: Path,
                    limiter: RateLimiter | None, deadline: Deadline) -> list[Segment]:
    """Send the recording to the STT service and return its segments in time order."""
    content = audio.read_bytes()  # bytes, not a file object: every retry must send the whole file
    read_timeout_s = deadline.read_timeout_s(wanted_read_timeout_s(len(content)), STT_ATTEMPTS,
                                             STT_BACKOFF_RESERVE_S)
    policy = RetryPolicy(attempts=STT_ATTEMPTS, base_delay_s=STT_BASE_DELAY_S, max_delay_s=STT_MAX_DELAY_S,
                         read_timeout_s=read_timeout_s)
    mime = mimetypes.guess_type(audio.name)[0] or "application/octet-stream"
    response = request_with_retries(
        http, "POST", url, policy=policy, limiter=limiter, describe="speech-to-text", upstream="stt",
        files={"file": (audio.name, content, mime)},
        data={"diarization": "true", "language": language})
    return _segments_of(response)


def _segments_of(response: requests.Response) -> list[Segment]:
    if response.status_code == 413:
        raise AiFailure("speech-to-text refused the recording as too large (HTTP 413)")
    if response.status_code != 200:
        raise AiFailure(f"speech-to-text answered HTTP {response.status_code}: {body_excerpt(response.text)}")
    try:
        answer = SttAnswer.model_validate_json(response.content)
    except ValidationError as exc:
        raise AiFailure(f"speech-to-text answer is not the expected JSON: {_first_error(exc)}") from exc
    if not answer.segments:
        raise AiFailure("speech-to-text found no speech in the recording (no segments)")
    for segment in answer.segments:
        segment.speaker = (segment.speaker.strip().lower() or "unknown")[:MAX_SPEAKER_LENGTH]
    return sorted(answer.segments, key=lambda segment: (segment.start_ms, segment.end_ms))


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{where}: {error['msg']}"
