"""The API's OpenAPI document (openapi.yaml beside this module), served as JSON without a token."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

from flask import jsonify
from ruamel.yaml import YAML

from trainer.web.api import bp

#: Needs no bearer token: it describes the API and holds nothing of anyone's.
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})


@cache
def document() -> dict[str, Any]:
    text = files(__package__).joinpath("openapi.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe", pure=True).load(text)


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())
