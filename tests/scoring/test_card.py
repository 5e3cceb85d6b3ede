"""The committed model card: its Markdown is the rendering of its JSON."""

from __future__ import annotations

from trainer.scoring import model_directory
from trainer.scoring.card import read_card, render_model_card


def test_committed_markdown_card_is_rendered_from_its_json():
    folder = model_directory()
    assert (folder / "MODEL_CARD.md").read_text(encoding="utf-8") == render_model_card(
        read_card(folder)
    ), "models/MODEL_CARD.md is stale: rebuild it with `trainer train`"
