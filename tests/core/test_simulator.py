"""The modelled customer: mood, trust and patience dynamics, intents, line choice, slots, replay."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.authored import AuthoredFileError
from trainer.core import simulator
from trainer.core.generative import guard
from trainer.core.scenario import load_scenario

MODELLED = """\
id: demo-bill
version: 1
title: Double charge
language: en
sector: banking
difficulty: {difficulty}
target_level: 3
objectives: [Validate the worry]
customer: {{name: Sam Lee, persona: Runs a bakery., mood: 8, patience: 3}}
mode: model
model:
  opening: You charged my card twice and my supplier payment bounced!
  persona:
    needs: The double charge back before Friday.
    satisfied_by: [a refund of the double charge within two days]
    triggers:
      - says: [bank policy]
        why: Policy is why the money is gone.
  lines:
    complain:
      high: [My supplier is furious with me., Two charges for one rent!, This is a disaster.]
      mid: [It is still a mess., I just want it sorted.]
      low: [It has been a stressful week.]
    demand:
      high: [Put the money back now., I want it fixed today., Reverse the charge now.]
      mid: [Fix it please.]
    doubt:
      high: ["You say {{remedy}} but I have heard that before.", Who guarantees that?]
      mid: ["How do I know it happens by {{deadline}}?", Is that a promise?]
    push_back:
      high: [That is not enough., "{{remedy}}? Not good enough."]
      mid: [I need more than that., "{{remedy}}? Is that really all?"]
    accept:
      mid: ["Fine, {{remedy}} by {{deadline}}, {{agent_name}}."]
      low: [Alright, that works.]
    thank:
      low: ["Thank you, {{agent_name}}.", Thanks, that helps a lot.]
    escalate:
      high: [Get me a supervisor now., I am closing my account.]
  exemplars:
    complain: [I can see how stressful two charges are; I will refund one today.]
    demand: [I am reversing the second charge now; you will see it by 5pm.]
    doubt: [Your reference is R-1; I will call you at 5pm to confirm.]
    push_back: [You are right, that is not enough; I will refund it and waive the fee.]
"""

GOOD = simulator.Signal(
    {"empathy": 0.9, "validation": 0.9, "solution": 0.9},
    {"empathy": 3, "validation": 3, "solution": 3},
    frozenset(),
    4,
)
FLAT = simulator.Signal(
    {"empathy": 0.2, "validation": 0.1, "solution": 0.3},
    {"empathy": 1, "validation": 0, "solution": 1},
    frozenset(),
    1,
)
BLAME = simulator.Signal(
    {"empathy": 0.05, "validation": 0.05, "solution": 0.1},
    {"empathy": 0, "validation": 0, "solution": 0},
    frozenset({"blame"}),
    0,
)
STUFFED = simulator.Signal(
    {"empathy": 0.8, "validation": 0.8, "solution": 0.1},
    {"empathy": 1, "validation": 1, "solution": 0},
    frozenset({"stuffing"}),
    1,
)
GOOD_REPLY = "I'm Rina. I will refund the double charge today and call you by 5pm."


@pytest.fixture
def make(tmp_path):
    def build(difficulty: int = 2):
        path = tmp_path / "demo-bill.yaml"
        path.write_text(MODELLED.format(difficulty=difficulty), encoding="utf-8")
        return load_scenario(path)

    return build


def play(scenario, signal, reply="Okay.", seed=1, limit=12):
    bank = simulator.LineBank(scenario.model)
    state, turn = simulator.start(scenario, seed)
    moods, lines = [turn.mood], [turn.text]
    while not state.done and state.turns < limit:
        state, turn, _ = simulator.advance(scenario, state, reply, signal, seed, bank)
        moods.append(turn.mood)
        lines.append(turn.text)
    return state, moods, lines


def test_strong_replies_resolve_with_falling_mood(make):
    state, moods, lines = play(make(), GOOD, GOOD_REPLY)
    assert state.outcome == "resolved"
    assert moods[-1] < moods[0]
    assert state.intent in ("accept", "thank")
    assert "Rina" in lines[-1] or lines[-1] in ("Alright, that works.", "Thanks, that helps a lot.")


def test_blame_escalates_with_rising_mood(make):
    state, moods, _ = play(make(), BLAME, "Your fault for not checking.")
    assert state.outcome == "escalated"
    assert moods[-1] >= moods[0]
    assert state.turns <= 3  # patience 3


def test_flat_non_answers_raise_effort_and_escalate(make):
    state, moods, _ = play(make(), FLAT)
    assert state.outcome == "escalated"
    assert state.effort == state.turns
    assert moods[-1] > moods[0]


def test_stuffing_does_not_calm(make):
    _, moods, _ = play(make(), STUFFED, "I understand, I hear you, I'm so sorry.")
    assert min(moods) >= moods[0]


def test_trigger_phrases_inflame(make):
    scenario = make()
    bank = simulator.LineBank(scenario.model)
    state, _ = simulator.start(scenario, 3)
    _, calm_turn, calm = simulator.advance(scenario, state, "I can help.", FLAT, 3, bank)
    _, hot_turn, hot = simulator.advance(scenario, state, "Bank policy, sorry.", FLAT, 3, bank)
    assert hot.triggers == ("bank policy",) and calm.triggers == ()
    assert hot.inflame > calm.inflame
    assert hot_turn.mood >= calm_turn.mood


def test_difficulty_changes_behaviour_not_only_a_label(make):
    easy, hard = simulator.params_for(make(1)), simulator.params_for(make(5))
    assert hard.calm_rate < easy.calm_rate and hard.inflame_rate > easy.inflame_rate
    assert hard.forgiveness < easy.forgiveness and hard.volatility > easy.volatility
    assert hard.offers_needed > easy.offers_needed and hard.trust < easy.trust
    decent = simulator.Signal(
        {"empathy": 0.6, "validation": 0.6, "solution": 0.7},
        {"empathy": 2, "validation": 2, "solution": 2},
        frozenset(),
        3,
    )
    easy_play = play(make(1), decent, "I will look into the account today.")
    hard_play = play(make(5), decent, "I will look into the account today.")
    assert easy_play[0].outcome == "resolved"
    assert easy_play[0].turns < hard_play[0].turns


def test_same_seed_and_replies_give_the_same_customer(make):
    scenario = make(4)
    first = play(scenario, FLAT, seed=11)
    again = play(scenario, FLAT, seed=11)
    assert first[1:] == again[1:]
    assert first[0] == again[0]


def test_state_survives_a_round_trip_through_json(make):
    scenario = make()
    bank = simulator.LineBank(scenario.model)
    state, _ = simulator.start(scenario, 5)
    state, _, _ = simulator.advance(scenario, state, GOOD_REPLY, GOOD, 5, bank)
    assert simulator.CustomerState.from_dict(state.to_dict()) == state


def test_lines_never_repeat_within_an_attempt(make):
    _, _, lines = play(make(), FLAT, limit=12)
    assert len(lines) == len(set(lines))


def test_slots_are_learnt_from_the_reply():
    signal = simulator.Signal({}, {"solution": 3}, solution_evidence=())
    slots = simulator.learn_slots(
        "Hi, I'm Rina from billing. I will refund the double charge to your card by 5pm.", signal
    )
    assert slots["agent_name"] == "Rina"
    assert slots["deadline"] == "by 5pm"
    assert slots["remedy"] == "refund the double charge to your card"
    indonesian = simulator.learn_slots(
        "Dengan Budi, Kak. Saya akan kembalikan saldo Kakak besok jam 10.", signal
    )
    assert indonesian["agent_name"] == "Budi"
    assert indonesian["deadline"] == "besok jam 10"
    assert indonesian["remedy"].startswith("kembalikan saldo Kakak")
    assert "agent_name" not in simulator.learn_slots("I'm so sorry about this.", signal)


def test_a_slot_line_waits_until_its_slot_is_known():
    assert simulator.fill("By {deadline}?", {}) is None
    assert simulator.fill("By {deadline}?", {"deadline": "5pm"}) == "By 5pm?"


def test_the_customer_refers_to_what_the_agent_offered(make):
    scenario = make(3)
    bank = simulator.LineBank(scenario.model)
    state, _ = simulator.start(scenario, 2)
    state, turn, _ = simulator.advance(scenario, state, GOOD_REPLY, GOOD, 2, bank)
    assert state.intent in ("doubt", "push_back")
    assert "refund the double charge" in turn.text or "5pm" in turn.text


def test_semantic_fit_prefers_the_line_closest_to_the_reply(make):
    scenario = make()
    texts = []

    def embed(batch):
        texts.extend(batch)
        return np.eye(len(batch), 64)[: len(batch)]

    bank = simulator.LineBank(scenario.model, embed)
    target = "Reverse the charge now."
    vector = bank.vectors[target]
    state, _ = simulator.start(scenario, 1)
    chosen = simulator.choose_line(bank, "demand", 9, "", vector, state, simulator._rng(1, 1))
    assert chosen == (target, target)


def test_a_modelled_scenario_needs_every_intent(tmp_path):
    broken = MODELLED.format(difficulty=2).replace(
        "    escalate:\n      high: [Get me a supervisor now., I am closing my account.]\n", ""
    )
    path = tmp_path / "demo-bill.yaml"
    path.write_text(broken.replace('"{remedy}? Not', '"{refund}? Not'), encoding="utf-8")
    with pytest.raises(AuthoredFileError) as raised:
        load_scenario(path)
    messages = [str(p) for p in raised.value.problems]
    assert any("intent 'escalate' needs at least 1 line" in m for m in messages)
    assert any("unknown slot {refund}" in m and ":31:" in m for m in messages), messages


def test_script_and_model_are_exclusive(tmp_path):
    path = tmp_path / "demo-bill.yaml"
    path.write_text(MODELLED.format(difficulty=2).replace("mode: model\n", ""), encoding="utf-8")
    with pytest.raises(AuthoredFileError, match="scripted scenario needs `script`"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("line", "mood", "intent", "refused"),
    [
        ("I want my money back today, this is absurd.", 9, "demand", None),
        ("I'm sorry, I know you are trying your best.", 9, "complain", "apologises"),
        ("Thanks for looking into it, really.", 8, "demand", "thanks"),
        ("How can I help you today with your account?", 9, "complain", "speaks as the agent"),
        ("Agent: we will refund you.", 5, "complain", "speaks as the agent"),
        ("Saya mau uang saya kembali hari ini juga.", 9, "demand", "not in English"),
        ("ok", 9, "demand", "length"),
        ("Thank you so much, that is exactly what I needed.", 1, "thank", None),
    ],
)
def test_guard_keeps_the_customer_in_character(make, line, mood, intent, refused):
    scenario = make()
    state = simulator.CustomerState(mood=mood, trust=0.5, patience=3, intent=intent)
    reason = guard(line, scenario, state, intent)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason


def test_a_generator_line_is_used_when_the_guard_passes_and_refused_otherwise(make):
    scenario = make()
    bank = simulator.LineBank(scenario.model)
    state, _ = simulator.start(scenario, 4)
    said = []

    def polite(*args):
        said.append(args)
        return "I am sorry, you are so kind."

    def angry(*args):
        return "Two charges and no answer, I want this fixed right now."

    _, turn, reaction = simulator.advance(
        scenario, state, "Okay.", FLAT, 4, bank, generator=polite, guard=guard
    )
    assert said and reaction.refused and not reaction.generated
    assert turn.text in {line for b in scenario.model.lines.values() for line in b.all()}
    _, turn, reaction = simulator.advance(
        scenario, state, "Okay.", FLAT, 4, bank, generator=angry, guard=guard
    )
    assert reaction.generated and turn.text.startswith("Two charges")
