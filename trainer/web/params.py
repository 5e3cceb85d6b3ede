"""Whole numbers from URLs and query strings, bounded to what the database can store."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

from trainer.models import MAX_ID


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in every route: at most ``MAX_ID``, else the URL matches nothing (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


def whole_number(raw: str) -> int:
    """For ``request.args.get(name, type=whole_number)``: an int the database can compare with,
    else ``ValueError`` (which makes ``get`` return its default)."""
    value = int(raw)
    if abs(value) > MAX_ID:
        raise ValueError(f"{raw[:20]!r} is out of range")
    return value
