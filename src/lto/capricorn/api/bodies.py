"""Request bodies a route validates itself: one record or a batch of them, tagged unions.

FastAPI would validate such bodies too, but its error locations name the union's branch (the
model's name, or a tag such as ``"resist coater"``) between the fields, and a client should read
``records.3.result.cd_nm``. So these routes take the JSON object as it came, validate it here
(``validate``: 422 naming each field as the client wrote it) and describe it in the OpenAPI
schema with ``request_body``, the models' JSON schema inlined (no ``$ref`` into definitions the
document would not have).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

from lto.capricorn.api.problems import Problem, field_errors

T = TypeVar("T")


def clean_locations(errors: list[Any], data: Any) -> list[dict[str, Any]]:
    """pydantic's errors with each tagged union's tag taken out of the location, found by
    walking the input: at an object, a location part equal to its discriminator's value (and
    not yet consumed there) is the tag. A tag that fits no branch is located at the
    discriminator field itself (``streams.2.kind``)."""
    out = []
    for error in errors:
        loc: list[Any] = []
        node, tag_taken = data, False
        for part in error.get("loc", ()):
            if isinstance(node, Mapping) and not tag_taken and _is_tag(node, part):
                tag_taken = True
                continue
            loc.append(part)
            tag_taken = False
            node = _child(node, part)
        if error.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            loc.append(str((error.get("ctx") or {}).get("discriminator", "kind")).strip("'\""))
        out.append({**error, "loc": tuple(loc)})
    return out


def _child(node: Any, part: Any) -> Any:
    """What ``part`` of the location names inside ``node``; None where the input has none."""
    if isinstance(node, Mapping):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _is_tag(node: Mapping[str, Any], part: Any) -> bool:
    return isinstance(part, str) and any(node.get(key) == part for key in ("kind", "op"))


def validate(kind: Any, data: Any, *, prefix: str = "") -> Any:
    """``data`` as ``kind`` (a model or any type pydantic knows), or a 422 naming every bad
    field (under ``prefix``, such as ``records.3``)."""
    try:
        return TypeAdapter(kind).validate_python(data)
    except ValidationError as exc:
        found = field_errors(clean_locations(list(exc.errors()), data))
        if prefix:
            found = [
                {**e, "field": prefix if e["field"] == "body" else f"{prefix}.{e['field']}"}
                for e in found
            ]
        raise invalid(found) from None


def invalid(errors: list[dict[str, str]]) -> Problem:
    detail = "; ".join(f"{e['field']}: {e['rule']}" for e in errors[:5])
    if len(errors) > 5:
        detail += f"; and {len(errors) - 5} more"
    return Problem(422, detail, errors=errors, kind="invalid-input")


def inline_schema(kind: Any) -> dict[str, Any]:
    """The JSON schema of ``kind`` as input, with its definitions inlined where used (an
    OpenAPI document resolves ``#/...`` against itself, not against the schema)."""
    schema = TypeAdapter(kind).json_schema(mode="validation")
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                inner = resolve(definitions[ref.removeprefix("#/$defs/")])
                rest = {k: resolve(v) for k, v in node.items() if k != "$ref"}
                return {**inner, **rest}
            # a discriminator's mapping points at definitions: the branches' consts suffice
            return {k: resolve(v) for k, v in node.items() if k != "discriminator"}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def request_body(kind: Any, *, description: str) -> dict[str, Any]:
    """``openapi_extra`` for a route whose body is ``kind`` (validated by the route itself)."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": inline_schema(kind)}},
        }
    }


__all__ = ["clean_locations", "inline_schema", "invalid", "request_body", "validate"]
