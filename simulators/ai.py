"""A speech-to-text service and an LLM that speaks both Gemini's and OpenAI's REST shapes.

For tests, benchmarks and `make run` when asked (`AI_SIMULATOR=1`): never a silent stand-in for
a real provider. The LLM reads the criteria from the response schema it is sent and answers with
deterministic scores, so a run is repeatable.

Routes (all POST):
  /stt                                              multipart: file (+ diarization=true, language);
                                                    answers {"text", "language", "duration"} (`stt_form =
                                                    "text"`, the default: today's service, no speakers) or
                                                    {"segments": [...]} with speakers "agent"/"customer"
                                                    (`stt_form = "segments"`, the earlier form);
                                                    `X-API-Key` checked when `stt_key` is set
  /gemini/v1beta/models/{model}:generateContent     x-goog-api-key (or ?key=)
  /openai/v1/chat/completions                       Authorization: Bearer <key>

In-process control (tests): `fail_next(target, status, times)`, `answer_next(*raw_texts)`,
`reset()`, `requests(target)`. Targets: "stt", "gemini", "openai".

`python -m simulators.ai --port 8790` runs it alone (keys from AI_SIMULATOR_GEMINI_KEY /
AI_SIMULATOR_OPENAI_KEY, default none required; AI_SIMULATOR_STT_FORM=segments for the earlier form).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GEMINI_ROUTE = re.compile(r"^/gemini/v1beta/models/(?P<model>[^/:]+):generateContent$")
OPENAI_ROUTE = "/openai/v1/chat/completions"
STT_ROUTE = "/stt"
STT_FORM_SEGMENTS = "segments"
STT_FORM_TEXT = "text"
SEGMENT_MS = 4000
SAMPLE_LINES = (
    ("agent", "Assalomu alaykum, Navai kompaniyasi, sizga qanday yordam bera olaman?"),
    ("customer", "Salom, men buyurtmam haqida bilmoqchi edim."),
    ("agent", "Albatta, buyurtma raqamingizni ayting."),
    ("customer", "Raqami 12345."),
    ("agent", "Rahmat, buyurtmangiz ertaga yetkaziladi. Yana savollaringiz bormi?"),
)


@dataclass
class Fault:
    status: int
    retry_after: str | None = None


@dataclass
class RecordedRequest:
    target: str
    path: str
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    file_name: str | None = None
    file_size: int | None = None
    body: Any = None


class AiSimulator:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, gemini_key: str = "", openai_key: str = "",
                 stt_key: str = "") -> None:
        self.gemini_key = gemini_key
        self.openai_key = openai_key
        self.stt_key = stt_key
        self.stt_form = STT_FORM_TEXT  # like today's speech-to-text: plain text, nobody labelled
        self.text_override: str | None = None
        self._lock = threading.Lock()
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._answers: deque[str] = deque()
        self._requests: list[RecordedRequest] = []
        self.camel_case = False
        self.segments_override: list[dict[str, Any]] | None = None
        self.latency_s: dict[str, float] = {}  # per target, to model real processing time (benchmarks)
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "AiSimulator":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- control ---------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self._answers.clear()
            self._requests.clear()
            self.camel_case = False
            self.segments_override = None
            self.text_override = None
            self.stt_form = STT_FORM_TEXT
            self.latency_s = {}

    def fail_next(self, target: str, status: int, times: int = 1, retry_after: str | None = None) -> None:
        with self._lock:
            self._faults[target].extend(Fault(status, retry_after) for _ in range(times))

    def answer_next(self, *texts: str) -> None:
        """The LLM's next answers are these raw texts (either provider), then generated ones again."""
        with self._lock:
            self._answers.extend(texts)

    def requests(self, target: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self._requests if target is None or r.target == target]

    # --- used by the handler ---------------------------------------------------------------
    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def take_fault(self, target: str) -> Fault | None:
        with self._lock:
            queue = self._faults[target]
            return queue.popleft() if queue else None

    def next_answer(self, criteria: dict[str, float], has_scores: bool) -> str:
        with self._lock:
            if self._answers:
                return self._answers.popleft()
        return json.dumps(generated_answer(criteria, has_scores), ensure_ascii=False)

    def segments(self, file_size: int) -> list[dict[str, Any]]:
        if self.segments_override is not None:
            return self.segments_override
        count = 2 + file_size % (len(SAMPLE_LINES) - 1)  # 2..5 lines, depending on the file
        start, end = ("startMs", "endMs") if self.camel_case else ("start_ms", "end_ms")
        return [{"speaker": speaker, "text": text, start: i * SEGMENT_MS, end: (i + 1) * SEGMENT_MS - 200}
                for i, (speaker, text) in enumerate(SAMPLE_LINES[:count])]

    def text_answer(self, file_size: int) -> dict[str, Any]:
        """Today's form: the plain transcript, its language and the audio's length in seconds."""
        if self.text_override is not None:
            return {"text": self.text_override, "language": "uz", "duration": 0.0 if not self.text_override else 12.0}
        count = 2 + file_size % (len(SAMPLE_LINES) - 1)
        return {"text": " ".join(text for _, text in SAMPLE_LINES[:count]), "language": "uz",
                "duration": count * SEGMENT_MS / 1000}


def generated_answer(criteria: dict[str, float], has_scores: bool) -> dict[str, Any]:
    """Scores from the schema's maxima: max, max-1, max-2, max, ... by criterion id."""
    scores = {key: max(0.0, maximum - (int(key) % 3 if key.isdigit() else 0)) for key, maximum in criteria.items()}
    top = max(criteria.values(), default=10.0)
    answer: dict[str, Any] = {"overall_score": round(sum(scores.values()) / len(scores), 2) if scores else top * 0.8}
    if has_scores:
        answer["criterion_scores"] = scores
    answer["violations_mistakes"] = [{"description": "Operator mijozning ismini so'ramadi", "timestamp": "00:04"}]
    answer["summary_of_performance"] = "Operator xushmuomala, savolga tez javob berdi."
    return answer


def schema_criteria(schema: dict[str, Any]) -> tuple[dict[str, float], bool]:
    """Criterion keys and their maxima from the answer schema (either dialect)."""
    scores = (schema.get("properties") or {}).get("criterion_scores")
    if not isinstance(scores, dict):
        return {}, False
    return {key: float(sub.get("maximum", 10)) for key, sub in (scores.get("properties") or {}).items()}, True


def _handler_for(sim: AiSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet in tests
            pass

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            path = urlsplit(self.path).path
            if path == STT_ROUTE:
                self._stt(raw)
            elif GEMINI_ROUTE.match(path):
                self._gemini(raw)
            elif path == OPENAI_ROUTE:
                self._openai(raw)
            else:
                self._send(404, {"error": {"code": 404, "message": f"no route {path}"}})

        # --- speech-to-text --------------------------------------------------------------
        def _stt(self, raw: bytes) -> None:
            form, files = parse_multipart(self.headers.get("Content-Type", ""), raw)
            name, content = files.get("file", (None, b""))
            sim.record(RecordedRequest("stt", self.path, dict(self.headers), form, name, len(content)))
            if sim.stt_key and self.headers.get("X-API-Key") != sim.stt_key:
                self._send(401, {"error": "missing or wrong X-API-Key"})
                return
            if self._fault("stt"):
                return
            if sim.stt_form == STT_FORM_TEXT:
                if not content:
                    self._send(400, {"error": "file is required"})
                    return
                self._send(200, sim.text_answer(len(content)))
                return
            if not content or form.get("diarization") != "true" or not form.get("language"):
                self._send(400, {"error": "file, diarization=true and language are required"})
                return
            self._send(200, {"segments": sim.segments(len(content))})

        # --- Gemini generateContent ------------------------------------------------------
        def _gemini(self, raw: bytes) -> None:
            body = _json_or_none(raw)
            sim.record(RecordedRequest("gemini", self.path, dict(self.headers), body=body))
            key = self.headers.get("x-goog-api-key") or parse_qs(urlsplit(self.path).query).get("key", [""])[0]
            if sim.gemini_key and key != sim.gemini_key:
                self._send(400, _google_error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT"))
                return
            if self._fault("gemini"):
                return
            config = (body or {}).get("generationConfig") or {}
            if not (body or {}).get("contents") or config.get("responseMimeType") != "application/json":
                self._send(400, _google_error(400, "contents and JSON response config are required",
                                              "INVALID_ARGUMENT"))
                return
            text = sim.next_answer(*schema_criteria(config.get("responseSchema") or {}))
            self._send(200, {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                             "finishReason": "STOP", "index": 0}],
                             "usageMetadata": {"promptTokenCount": len(raw) // 4, "candidatesTokenCount": 50}})

        # --- OpenAI chat completions -----------------------------------------------------
        def _openai(self, raw: bytes) -> None:
            body = _json_or_none(raw)
            sim.record(RecordedRequest("openai", self.path, dict(self.headers), body=body))
            if sim.openai_key and self.headers.get("Authorization") != f"Bearer {sim.openai_key}":
                self._send(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                           "code": "invalid_api_key"}})
                return
            if self._fault("openai"):
                return
            body = body or {}
            response_format = body.get("response_format") or {}
            if not body.get("model") or not body.get("messages") or \
                    response_format.get("type") not in ("json_object", "json_schema"):
                self._send(400, {"error": {"message": "model, messages and a JSON response_format are required",
                                           "type": "invalid_request_error"}})
                return
            schema = (response_format.get("json_schema") or {}).get("schema") or {}
            text = sim.next_answer(*schema_criteria(schema))
            self._send(200, {"id": "chatcmpl-sim", "object": "chat.completion", "model": body["model"],
                             "choices": [{"index": 0, "finish_reason": "stop",
                                          "message": {"role": "assistant", "content": text}}],
                             "usage": {"prompt_tokens": len(raw) // 4, "completion_tokens": 50}})

        # --- helpers ---------------------------------------------------------------------
        def _fault(self, target: str) -> bool:
            time.sleep(sim.latency_s.get(target, 0.0))
            fault = sim.take_fault(target)
            if fault is None:
                return False
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            self._send(fault.status, {"error": {"code": fault.status, "message": "injected fault"}}, headers)
            return True

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def parse_multipart(content_type: str, raw: bytes) -> tuple[dict[str, str], dict[str, tuple[str | None, bytes]]]:
    """Form fields and files of a multipart/form-data body. Split on the boundary with bytes
    operations (not the email parser, which takes minutes over a 200 MB recording)."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    form: dict[str, str] = {}
    files: dict[str, tuple[str | None, bytes]] = {}
    if match is None:
        return form, files
    delimiter = b"--" + match.group(1).encode()
    for part in raw.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, _, body = part.partition(b"\r\n\r\n")
        body = body[:-2] if body.endswith(b"\r\n") else body
        disposition = next((line for line in head.decode(errors="replace").split("\r\n")
                            if line.lower().startswith("content-disposition")), "")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if name is None:
            continue
        if filename is not None:
            files[name.group(1)] = (filename.group(1), body)
        else:
            form[name.group(1)] = body.decode(errors="replace")
    return form, files


def _google_error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="simulators.ai", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    sim = AiSimulator(args.host, args.port, gemini_key=os.environ.get("AI_SIMULATOR_GEMINI_KEY", ""),
                      openai_key=os.environ.get("AI_SIMULATOR_OPENAI_KEY", ""),
                      stt_key=os.environ.get("AI_SIMULATOR_STT_KEY", ""))
    sim.stt_form = os.environ.get("AI_SIMULATOR_STT_FORM", STT_FORM_TEXT)
    print(f"AI simulator (STT, Gemini, OpenAI) on {sim.url}", flush=True)
    sim._server.serve_forever()


if __name__ == "__main__":
    main()
