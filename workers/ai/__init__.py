"""AI processing of calls: speech-to-text with diarization, then an LLM scores the transcript
against the organization's criteria. Tasks in `workers.ai.tasks`, on the `ai` queue."""
