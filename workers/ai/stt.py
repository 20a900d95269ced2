"""Speech-to-text over HTTP, in both forms the original's service has spoken.

`POST {STT_API_URL}` as multipart/form-data: `file` (the audio, streamed from storage),
`diarization=true` and `language` (the earlier form's fields; today's service ignores them), and
`X-API-Key: <STT_API_KEY>` when a key is set. Answers:
- `{"segments": [{"speaker", "text", "start_ms"|"startMs", "end_ms"|"endMs"}]}` (the earlier form);
- `{"text", "language", "duration"}` (today's form, since October 2025): the text is split at
  sentence ends, each sentence given a share of `duration` in proportion to its length, speaker
  `"unknown"` (the service does not tell who spoke).
An empty transcript is `NoSpeech`, not a failure. Timeouts, 429 and 5xx are retried
(workers.upstream_http); 413 (file too large) and other 4xx are final.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from typing import Any

import requests
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError
from requests_toolbelt import MultipartEncoder

from shared.ai.limits import STT_ATTEMPTS, STT_BACKOFF_RESERVE_S, STT_MAX_ATTEMPT_S
from shared.metrics import UpstreamMeter
from shared.storage import Storage
from workers.ai.deadline import Deadline
from workers.ai.errors import AiFailure, body_excerpt
from workers.ratelimit.slots import RateLimiter
from workers.upstream.http import RetryPolicy, request_with_retries

STT_BASE_DELAY_S = 1.0
STT_MAX_DELAY_S = 10.0
# The original's timeout for one transcription: 10 min + 2 min per MB of audio, at most 60 min
# (and at most STT_TIMEOUT_S); also capped by what is left of the task's time limit.
STT_BASE_READ_TIMEOUT_S = 600.0
STT_READ_TIMEOUT_PER_MB_S = 120.0
STT_MAX_READ_TIMEOUT_S = float(STT_MAX_ATTEMPT_S)
BYTES_PER_MB = 1024 * 1024
MAX_SPEAKER_LENGTH = 32
UNKNOWN_SPEAKER = "unknown"
API_KEY_HEADER = "X-API-Key"
SENTENCE_END_RE = re.compile(r"(?<=[.!?…])\s+")


class NoSpeech(Exception):
    """The service transcribed the recording and found nothing said."""


class Segment(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    speaker: str = UNKNOWN_SPEAKER
    text: str
    start_ms: int = Field(ge=0, validation_alias=AliasChoices("start_ms", "startMs"))
    end_ms: int = Field(ge=0, validation_alias=AliasChoices("end_ms", "endMs"))


class SttAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    segments: list[Segment] | None = None
    text: str | None = None
    language: str | None = None
    duration: float | None = Field(default=None, ge=0)  # seconds


@dataclass(frozen=True)
class SttRequest:
    url: str
    language: str
    api_key: str
    timeout_cap_s: float  # STT_TIMEOUT_S


@dataclass(frozen=True)
class Audio:
    storage: Storage
    key: str
    size: int

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


def wanted_read_timeout_s(size_bytes: int, cap_s: float = STT_MAX_READ_TIMEOUT_S) -> float:
    wanted_s = STT_BASE_READ_TIMEOUT_S + STT_READ_TIMEOUT_PER_MB_S * size_bytes / BYTES_PER_MB
    return min(wanted_s, STT_MAX_READ_TIMEOUT_S, cap_s)


class _SizedStream:
    """A stream whose `len` is what is left to read: how requests-toolbelt sizes a part whose
    body is not a local file (an S3 body has no fileno), to send a correct Content-Length."""

    def __init__(self, stream: Any, size: int) -> None:
        self._stream = stream
        self._left = size

    @property
    def len(self) -> int:
        return self._left

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(self._left if size is None or size < 0 else min(size, self._left))
        if not data and self._left:
            raise AiFailure(f"the recording ended {self._left} bytes early in storage")
        self._left -= len(data)
        return data


class _StreamingUpload:
    """A session whose every attempt streams the audio anew from storage: a retry must send the
    whole file again, and no attempt holds the file in memory."""

    def __init__(self, http: requests.Session, stt: SttRequest, audio: Audio) -> None:
        self._http, self._stt, self._audio = http, stt, audio

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        mime = mimetypes.guess_type(self._audio.name)[0] or "application/octet-stream"
        with self._audio.storage.open(self._audio.key) as stream:
            body = _SizedStream(stream, self._audio.size)
            encoder = MultipartEncoder(fields={"file": (self._audio.name, body, mime), "diarization": "true",
                                               "language": self._stt.language})
            headers = {"Content-Type": encoder.content_type}
            if self._stt.api_key:
                headers[API_KEY_HEADER] = self._stt.api_key
            return self._http.request(method, url, data=encoder, headers=headers, **kwargs)


def transcribe_audio(http: requests.Session, stt: SttRequest, audio: Audio, limiter: RateLimiter | None,
                     deadline: Deadline, meter: UpstreamMeter | None = None) -> list[Segment]:
    """Send the recording to the STT service and return its segments in time order."""
    read_timeout_s = deadline.read_timeout_s(wanted_read_timeout_s(audio.size, stt.timeout_cap_s), STT_ATTEMPTS,
                                             STT_BACKOFF_RESERVE_S)
    policy = RetryPolicy(attempts=STT_ATTEMPTS, base_delay_s=STT_BASE_DELAY_S, max_delay_s=STT_MAX_DELAY_S,
                         read_timeout_s=read_timeout_s)
    response = request_with_retries(_StreamingUpload(http, stt, audio), "POST", stt.url,  # type: ignore[arg-type]
                                    policy=policy, limiter=limiter, describe="speech-to-text", meter=meter)
    return segments_of(response)


def segments_of(response: requests.Response) -> list[Segment]:
    if response.status_code == 413:
        raise AiFailure("speech-to-text refused the recording as too large (HTTP 413)")
    if response.status_code != 200:
        raise AiFailure(f"speech-to-text answered HTTP {response.status_code}: {body_excerpt(response.text)}")
    try:
        answer = SttAnswer.model_validate_json(response.content)
    except ValidationError as exc:
        raise AiFailure(f"speech-to-text answer is not the expected JSON: {_first_error(exc)}") from exc
    if answer.segments is None and answer.text is None:
        raise AiFailure("speech-to-text answer has neither segments nor text")
    segments = answer.segments or split_text(answer.text or "", answer.duration or 0.0)
    segments = [segment for segment in segments if segment.text.strip()]
    if not segments:
        raise NoSpeech("speech-to-text found no speech in the recording")
    for segment in segments:
        segment.speaker = (segment.speaker.strip().lower() or UNKNOWN_SPEAKER)[:MAX_SPEAKER_LENGTH]
    return sorted(segments, key=lambda segment: (segment.start_ms, segment.end_ms))


def split_text(text: str, duration_s: float) -> list[Segment]:
    """Sentences of a plain transcript, each given a share of the duration in proportion to its
    length (a long sentence takes longer to say than a short one)."""
    sentences = [sentence.strip() for sentence in SENTENCE_END_RE.split(text.strip()) if sentence.strip()]
    total_chars = sum(len(sentence) for sentence in sentences)
    total_ms = duration_s * 1000
    segments, said_chars = [], 0
    for sentence in sentences:
        start_ms = round(total_ms * said_chars / total_chars)
        said_chars += len(sentence)
        end_ms = round(total_ms * said_chars / total_chars)
        segments.append(Segment(speaker=UNKNOWN_SPEAKER, text=sentence, start_ms=start_ms, end_ms=end_ms))
    return segments


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{where}: {error['msg']}"
