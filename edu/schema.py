"""The OpenAPI schema declares every error an operation can answer, each as
JSON `{"detail": "..."}`, unless the operation declares its own."""

ERRORS = {
    "400": "Bad request: invalid input or query parameter.",
    "401": "Not authenticated.",
    "403": "Not allowed.",
    "404": "No such object for this user.",
    "405": "Method not allowed.",
    "413": "Request body too large.",
    "415": "Unsupported media type.",
    "429": "Too many requests; see Retry-After.",
    "500": "Server error.",
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}


def declare_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook."""
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "Error", ERROR_SCHEMA
    )
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(status, {"description": description, "content": error})
    return result
