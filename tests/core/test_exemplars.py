"""The exemplar check: each exemplar scored against its line, where it leads, the play-through."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.core.conftest import VALID
from tests.core.test_simulator import MODELLED
from trainer.core import simulator
from trainer.core.engine import Verdict
from trainer.core.exemplars import check_exemplars, play_exemplars
from trainer.core.scenario import load_scenario

GOOD = Verdict({"empathy": 3, "validation": 3, "solution": 3}, frozenset(), 4)
FAIR = Verdict({"empathy": 2, "validation": 2, "solution": 2}, frozenset(), 3)
FLAT = Verdict({"empathy": 1, "validation": 1, "solution": 1}, frozenset(), 1)
BLAME = Verdict({"empathy": 0, "validation": 0, "solution": 0}, frozenset({"blame"}), 0)
#: The opening node's one exemplar, as a line of VALID.
OPENING_EXEMPLAR = next(line for line in VALID.splitlines() if "Three days offline" in line) + "\n"

#: Two customer lines after the opening, so that a walk takes more than one reply.
TWO_STEPS = VALID.replace(
    "        - if: {min: {validation: 2, solution: 2}}\n          goto: resolved\n",
    "        - if: {min: {validation: 2, solution: 2}}\n          goto: calmer\n",
).replace(
    "    resolved:\n",
    """    calmer:
      customer: Fine. And the refund?
      mood: 5
      exemplars:
        - You get a full month back on your next bill, and I will email you the credit note.
      branches:
        - if: {min: {solution: 2}}
          goto: resolved
      otherwise: calmer
    resolved:
""",
)


class Judge:
    """Verdicts from marker words; records every pair it was asked about."""

    def __init__(self, rules: dict[str, Verdict | str]) -> None:
        self.rules = rules
        self.asked: list[list[tuple[str, str]]] = []

    def __call__(self, pairs):
        self.asked.append(list(pairs))
        return [self.verdict(reply, line) for reply, line in pairs]

    def verdict(self, reply: str, line: str) -> Verdict | str:
        for marker, verdict in self.rules.items():
            if marker in reply or marker in line:
                return verdict
        return GOOD


@pytest.fixture
def scenario(tmp_path):
    def load(text: str, slug: str):
        path = tmp_path / f"{slug}.yaml"
        path.write_text(text, encoding="utf-8")
        return load_scenario(path)

    return load


def test_sound_exemplars_resolve_the_scripted_walk(scenario):
    judge = Judge({})
    report = check_exemplars(scenario(TWO_STEPS, "demo-outage"), judge)
    assert [(c.where, c.leads_to, c.problems) for c in report.exemplars] == [
        ("opening", "calmer", ()),
        ("calmer", "resolved", ()),
    ]
    assert report.walk.path == ("opening", "calmer", "resolved")
    assert report.walk.levels == (4, 4) and report.walk.resolved
    assert report.sound and not report.faulty
    assert len(judge.asked) == 1, "every exemplar in one batch"
    assert judge.asked[0][0] == (
        "Three days offline is awful; a technician comes at 8am and I will call you at noon.",
        "Third day without internet!",
    )


def test_each_problem_is_named(scenario):
    more = TWO_STEPS.replace(
        OPENING_EXEMPLAR,
        OPENING_EXEMPLAR
        + "        - It is your router, blame yourself.\n"
        + "        - Please hold, flat.\n"
        + "        - Technician at 8am, fair enough.\n"
        + "        - broken\n",
    )
    judge = Judge({"blame": BLAME, "flat": FLAT, "fair": FAIR, "broken": "the reply is empty"})
    report = check_exemplars(scenario(more, "demo-outage"), judge)
    found = {c.reply.split()[0]: (c.leads_to, c.problems) for c in report.exemplars}
    assert found["It"] == ("escalated", ("flagged", "below_target", "escalates"))
    assert found["Please"] == ("opening", ("below_target", "stays"))
    assert found["Technician"] == ("calmer", ())  # level 3 meets a target of 3
    assert found["broken"] == (None, ("unscorable",))
    broken = next(c for c in report.exemplars if c.reply == "broken")
    assert broken.verdict is None and broken.error == "the reply is empty"
    assert len(report.faulty) == 3 and not report.sound
    assert report.walk.resolved  # the first exemplars are sound; the others do not walk


def test_the_walk_reports_where_first_exemplars_lead(scenario):
    judge = Judge({"refund": FLAT})  # the calmer line mentions the refund
    report = check_exemplars(scenario(TWO_STEPS, "demo-outage"), judge)
    # Patience 3: the customer presses on the calmer line until they escalate.
    assert report.walk.outcome == "escalated"
    assert report.walk.path == ("opening", "calmer", "calmer", "calmer", "escalated")
    assert report.walk.levels == (4, 1, 1, 1)
    assert not report.sound


def test_the_walk_stops_on_an_unscorable_first_exemplar(scenario):
    report = check_exemplars(scenario(TWO_STEPS, "demo-outage"), Judge({"refund": "no text"}))
    assert report.walk.outcome is None and report.walk.path == ("opening", "calmer")
    assert not report.walk.resolved and not report.sound


def test_the_target_level_decides_below_target(scenario):
    strict = TWO_STEPS.replace("target_level: 3", "target_level: 4")
    report = check_exemplars(scenario(strict, "demo-outage"), Judge({"8am": FAIR}))
    assert [c.problems for c in report.exemplars] == [("below_target",), ()]
    assert report.target_level == 4


def test_a_modelled_exemplar_is_read_against_the_line_it_answers_best(scenario):
    judge = Judge({"supplier": FLAT, "Two charges": BLAME})
    report = check_exemplars(scenario(MODELLED.format(difficulty=2), "demo-bill"), judge)
    assert report.walk is None
    assert list(dict.fromkeys(c.where for c in report.exemplars)) == [
        "complain",
        "demand",
        "doubt",
        "push_back",
    ]
    complain = report.exemplars[0]
    # The opening and the first line mention the supplier: the exemplar answers "This is a
    # disaster." soundly, and a modelled customer may say any line of the intent.
    assert complain.context == "This is a disaster." and complain.problems == ()
    asked = dict.fromkeys(line for reply, line in judge.asked[0])
    assert "You charged my card twice and my supplier payment bounced!" in asked  # the opening
    assert "How do I know it happens by {deadline}?" not in asked  # waits for a slot
    assert "Who guarantees that?" in asked
    assert len(judge.asked) == 1


def test_a_modelled_exemplar_that_answers_no_line_is_faulty(scenario):
    report = check_exemplars(
        scenario(MODELLED.format(difficulty=2), "demo-bill"), Judge({"reversing": FLAT})
    )
    demand = report.exemplars[1]
    assert demand.where == "demand" and demand.problems == ("below_target",)
    assert demand.verdict == FLAT
    assert [c.where for c in report.faulty] == ["demand"]


def test_a_modelled_customer_is_played_once_per_seed(scenario):
    from tests.core import test_simulator as sim

    modelled = scenario(MODELLED.format(difficulty=2), "demo-bill")
    bank = simulator.LineBank(modelled.model)
    heard: list[tuple[str, str]] = []

    def good(reply: str, line: str) -> simulator.Signal:
        heard.append((reply, line))
        return sim.GOOD

    plays = play_exemplars(modelled, good, bank, seeds=range(4))
    assert plays.outcomes == ("resolved",) * 4 and plays.enough
    assert all(n >= 1 for n in plays.turns) and len(plays.turns) == 4
    exemplars = {reply for replies in modelled.model.exemplars.values() for reply in replies}
    assert {reply for reply, _ in heard} <= exemplars
    assert heard[0][1] == modelled.model.opening

    flat = play_exemplars(modelled, lambda reply, line: sim.FLAT, bank, seeds=range(4))
    assert flat.outcomes == ("escalated",) * 4
    assert flat.resolved == 0 and flat.needed == 4 and not flat.enough
    report = check_exemplars(modelled, Judge({}))
    assert report.sound and not replace(report, plays=flat).sound
