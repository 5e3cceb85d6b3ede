"""Request input the database can store: bounded whole numbers, and text without NUL."""

from __future__ import annotations

from collections.abc import Iterable

from werkzeug.routing import IntegerConverter

from trainer.authored import unstorable
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


def text_problem(texts: Iterable[str]) -> str | None:
    """Why one of ``texts`` cannot be stored (PostgreSQL refuses NUL, every driver a lone
    surrogate), if one cannot."""
    return next(filter(None, map(unstorable, texts)), None)
