"""``trainer validate --exemplars``: the exemplar check's findings as file:line problems."""

from __future__ import annotations

from functools import partial

from tests.core.test_exemplars import FLAT, TWO_STEPS, Judge
from trainer.core.exemplars import check_exemplars
from trainer.validate import exemplar_problems


def checked_by(judge: Judge):
    return partial(check_exemplars, judge=judge)


def test_a_walk_that_does_not_resolve_points_at_the_start(tmp_path):
    path = tmp_path / "demo-outage.yaml"
    path.write_text(TWO_STEPS, encoding="utf-8")
    start = TWO_STEPS.splitlines().index("  start: opening") + 1
    calmer = next(i for i, line in enumerate(TWO_STEPS.splitlines(), 1) if "full month" in line)
    problems = [str(p) for p in exemplar_problems(path, checked_by(Judge({"refund": FLAT})))]
    assert problems == [
        f"{path}:{calmer}: node 'calmer' exemplar 1: service level 1, below the target 3",
        f"{path}:{calmer}: node 'calmer' exemplar 1: it leaves the customer on the same line",
        f"{path}:{start}: played with each line's first exemplar, the conversation ends "
        "escalated after 4 replies (opening -> calmer -> calmer -> calmer -> escalated)",
    ]


def test_a_modelled_exemplar_points_at_its_line(tmp_path):
    from tests.core.test_simulator import MODELLED

    text = MODELLED.format(difficulty=2)
    path = tmp_path / "demo-bill.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "reversing the second" in t)
    problems = [
        str(p) for p in exemplar_problems(path, checked_by(Judge({"reversing": "no text here"})))
    ]
    assert problems == [
        f"{path}:{line}: intent 'demand' exemplar 1: the scorer cannot score it: no text here"
    ]
