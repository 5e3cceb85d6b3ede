"""Structural HTML checks that a browser silently repairs and axe does not report."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

#: Elements the HTML standard forbids inside themselves.
NOT_NESTED = frozenset({"label", "form", "a", "button"})
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.ids: Counter[str] = Counter()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in NOT_NESTED and tag in self.open:
            self.problems.append(f"line {self.getpos()[0]}: <{tag}> inside <{tag}>")
        for name, value in attrs:
            if name == "id" and value:
                self.ids[value] += 1
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            # Close up to the matching element: the parser tolerates omitted end tags (<p>, <li>).
            while self.open.pop() != tag:
                pass


def markup_problems(html: str) -> list[str]:
    """Nested labels, forms, links or buttons, and ids used more than once."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    duplicates = [f'id "{i}" used {n} times' for i, n in checker.ids.items() if n > 1]
    return checker.problems + duplicates
