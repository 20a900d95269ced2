"""The HTTP plumbing every route uses: the one declaration of a route (`endpoint`, with its
`access` rule and `declaration` data), request validation, input guards, errors as JSON, the services."""
