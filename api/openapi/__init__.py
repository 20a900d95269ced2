"""The API's OpenAPI 3.1 document (`GET /openapi.json`) and interactive docs (`GET /docs`).

The document is generated from the running app: every rule in `app.url_map` is an operation, and
what it says about a route (security, roles, path, query and header parameters, body, responses)
comes from the route's `@endpoint(...)` declaration (`api.http.endpoint`), the same declaration
that validates the route's requests. Nothing is documented separately, so nothing can drift.
"""
