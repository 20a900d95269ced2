"""HTTP to upstream APIs: timeouts, retries with backoff, the shared rate limit, keep-alive sessions."""
