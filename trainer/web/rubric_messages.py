"""The rubric's words a reader sees (titles, descriptors, tips, flag explanations), for Babel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import yaml

#: Keys whose text is shown in feedback; ``levels`` holds one descriptor per level.
SHOWN = ("title", "tip", "explain")


def extract(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor (``[extractors]`` in babel.cfg) for rubrics/dimensions.yaml and flags.yaml;
    the templates translate these texts with ``_()`` at render time."""
    yield from _walk(yaml.compose(fileobj.read().decode("utf-8")))


def _walk(node: yaml.Node | None) -> Iterator[tuple[int, str, str, list[str]]]:
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value in SHOWN and isinstance(value, yaml.ScalarNode):
                yield value.start_mark.line + 1, "_", value.value, []
            elif key.value == "levels" and isinstance(value, yaml.MappingNode):
                for _level, text in value.value:
                    yield text.start_mark.line + 1, "_", text.value, []
            else:
                yield from _walk(value)
