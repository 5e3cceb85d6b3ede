"""The optional generative customer: a tiny random causal LM built here (nothing downloaded)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.core.test_simulator import FLAT, MODELLED
from trainer.core import simulator
from trainer.core.generative import LanguageModelCustomer, guard, prompt
from trainer.core.scenario import load_scenario


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "demo-bill.yaml"
    path.write_text(MODELLED.format(difficulty=2), encoding="utf-8")
    return load_scenario(path)


def test_the_prompt_carries_persona_state_and_history(scenario):
    state, _ = simulator.start(scenario, 1)
    text = prompt(scenario, state, "demand", [("customer", "Two charges!"), ("agent", "Noted.")])
    assert "Runs a bakery." in text and "furious" in text and "insist" in text
    assert text.endswith("Agent: Noted.\nCustomer:")


def test_generated_lines_are_guarded_and_fall_back_to_the_line_bank(scenario, tiny_lm):
    generator = LanguageModelCustomer(tiny_lm)
    bank = simulator.LineBank(scenario.model)
    state, _ = simulator.start(scenario, 7)
    raw = generator(scenario, state, "demand", "high", [], 7)
    assert raw is None or isinstance(raw, str)
    assert raw == generator(scenario, state, "demand", "high", [], 7)  # seeded: reproducible
    new, turn, reaction = simulator.advance(
        scenario, state, "Okay.", FLAT, 7, bank, generator=generator, guard=guard
    )
    if reaction.generated:  # a random model may, rarely, produce a line the guard accepts
        assert guard(turn.text, scenario, replace(new, used=new.used[:-1]), new.intent) is None
    else:
        assert reaction.refused
        assert turn.text in {line for b in scenario.model.lines.values() for line in b.all()}


def test_a_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no language model folder"):
        LanguageModelCustomer(tmp_path / "nope")


def test_word_salad_is_refused(scenario):
    state, _ = simulator.start(scenario, 1)
    salad = "money twice twice account my my account time twice payment account bounced my today"
    assert "incoherent" in guard(salad, scenario, state, "demand")
