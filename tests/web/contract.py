"""Checks API responses against the OpenAPI document: status, content type, body and headers."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.web.markup import markup_problems
from trainer.web.api.spec import document

PREFIX = "/api/v1"
BASE = "urn:trainer:openapi"
#: What any undocumented path or method under the prefix may answer (400, 413 and 429 are
#: decided before routing: a NUL in the query, a body too large, too many requests).
UNDOCUMENTED = {400, 401, 404, 405, 413, 429}


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class Contract:
    """The API as documented; ``problems`` says how a response departs from it."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        resource = Resource(contents=spec, specification=DRAFT202012)
        self.registry = Registry().with_resource(BASE, resource)
        self.templates = [
            (re.compile("^" + re.sub(r"\{[^/}]+\}", "[^/]+", path) + "$"), path)
            for path in spec["paths"]
        ]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for pattern, template in self.templates:
            if pattern.match(path):
                found = self.spec["paths"][template].get(method.lower())
                return (template, found) if found is not None else None
        return None

    def _resolve(self, item: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in item:
            node: Any = self.spec
            for part in item["$ref"].removeprefix("#/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
            item = node
        return item

    def _errors(self, pointer: str, instance: Any) -> list[str]:
        validator = Draft202012Validator(
            {"$ref": f"{BASE}#/{pointer}"},
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
            for e in sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
        ]

    def problems(self, method: str, path: str, response) -> list[str]:
        status, ctype = response.status_code, response.mimetype
        found = self.operation(method, path.removeprefix(PREFIX) or "/")
        if found is None:
            if status not in UNDOCUMENTED:
                return [f"{method} {path} is not documented, yet it answered {status}"]
            return self._errors("components/schemas/Error", response.get_json(silent=True))
        template, operation = found
        declared = operation["responses"].get(str(status))
        if declared is None:
            return [f"{method} {template}: status {status} is not documented"]
        where = _pointer("paths", template, method.lower(), "responses", str(status))
        if "$ref" in declared:
            where = declared["$ref"].removeprefix("#/")
        declared = self._resolve(declared)
        media = declared.get("content", {})
        if ctype not in media:
            return [f"{method} {template} {status}: {ctype} is not among {sorted(media)}"]
        body: Any = response.get_data(as_text=True)
        if ctype == "application/json":
            body = json.loads(body)
        found_problems = self._errors(f"{where}/{_pointer('content', ctype, 'schema')}", body)
        for name, header in declared.get("headers", {}).items():
            header = self._resolve(header)
            value = response.headers.get(name)
            if value is None:
                if header.get("required"):
                    found_problems.append(f"header {name} is missing")
                continue
            header_pointer = f"{where}/{_pointer('headers', name)}"
            if "$ref" in declared["headers"][name]:
                header_pointer = declared["headers"][name]["$ref"].removeprefix("#/")
            found_problems += [
                f"header {name}: {e}" for e in self._errors(f"{header_pointer}/schema", value)
            ]
        return [f"{method} {template} {status}: {p}" for p in found_problems]


@cache
def contract() -> Contract:
    return Contract(document())


class ContractClient(FlaskClient):
    """A test client that fails the test when an API response departs from the document, or
    when an HTML page's markup is malformed in a way the browser would silently repair."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request = response.request
        if request.path.startswith(PREFIX + "/") and request.method not in ("HEAD", "OPTIONS"):
            problems = contract().problems(request.method, request.path, response)
            assert not problems, "the API departs from openapi.yaml:\n" + "\n".join(problems)
        elif response.mimetype == "text/html" and not response.is_streamed:
            problems = markup_problems(response.get_data(as_text=True))
            assert not problems, f"malformed markup in {request.path}:\n" + "\n".join(problems)
        return response
