"""The API's OpenAPI 3.1 document (`GET /openapi.json`) and interactive docs (`GET /docs`).

The document is generated from the running app: every rule in `app.url_map` is an operation (path
parameters from the URL converters, methods from the rule, security from the view's decorators),
enriched by the pydantic models a view declares with `@documented(...)`. A route added later is
therefore documented, and fuzzed, without anyone writing a line of OpenAPI.
"""

from api.openapi.meta import documented

__all__ = ["documented"]
