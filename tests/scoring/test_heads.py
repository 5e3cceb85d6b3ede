"""Head arithmetic without the encoder: sentence aggregation, the two off-context judges and
balanced calibration weights."""

from __future__ import annotations

import numpy as np

from trainer.scoring.heads import OFF_CONTEXT_REPLY, LinearHead, off_context_agreed, sigmoid
from trainer.scoring.rubric import DIMENSIONS, LEARNED_FLAGS
from trainer.scoring.scorer import run_heads
from trainer.scoring.train import _balanced


def _level_head(weight: float) -> LinearHead:
    # Level logits 0, 0, w*x, w*x on one feature: P(level >= 2) grows with x.
    coef = np.array([[0.0], [0.0], [weight], [weight]])
    return LinearHead(np.zeros(1), np.ones(1), coef, np.zeros(4), calibration=(2.0, -0.5))


def _flag_head() -> LinearHead:
    return LinearHead(np.zeros(1), np.ones(1), np.array([[1.0]]), np.zeros(1))


HEADS = {**{d: _level_head(1.0) for d in DIMENSIONS}, **{f: _flag_head() for f in LEARNED_FLAGS}}


def test_a_dimension_is_as_present_as_its_best_sentence():
    reply = np.array([[-2.0]])
    sentences = np.array([[-3.0], [1.5], [0.0]])
    alone = run_heads(HEADS, reply)
    together = run_heads(HEADS, reply, sentences)
    head = HEADS["validation"]
    assert together.dimensions["validation"][0] == head.calibrate(head.raw(sentences).max())
    assert together.dimensions["validation"][0] > alone.dimensions["validation"][0]
    # Level probabilities and flags still describe the reply as a whole.
    np.testing.assert_array_equal(together.levels["empathy"], alone.levels["empathy"])
    assert together.flags["blame"][0] == alone.flags["blame"][0] == sigmoid(np.array(-2.0))


def test_a_weak_sentence_never_lowers_the_reply():
    reply = np.array([[2.0]])
    sentences = np.array([[-3.0], [-1.0]])
    alone = run_heads(HEADS, reply)
    together = run_heads(HEADS, reply, sentences)
    for d in DIMENSIONS:
        assert together.dimensions[d][0] == alone.dimensions[d][0]


def test_balanced_weights_make_both_labels_equally_common():
    y = np.array([1, 0, 0, 0, 0, 1, 0, 0])
    balanced = _balanced(y, np.ones(len(y)))
    assert np.isclose(balanced[y == 1].sum(), balanced[y == 0].sum())
    # Within a label, relative weights are kept (the no-message copies stay lighter).
    w = np.array([1.0, 0.5, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0])
    balanced = _balanced(y, w)
    assert np.isclose(balanced[1] / balanced[2], w[1] / w[2])
    assert np.isclose(balanced[0] / balanced[1], 3.0 * w[0] / w[1])


def test_off_context_needs_both_judges():
    # Feature x: the relevance judge leans on +x, the reply judge on -x, so they disagree.
    reply_judge = LinearHead(np.zeros(1), np.ones(1), np.array([[-1.0]]), np.zeros(1))
    one_judge = run_heads(HEADS, np.array([[2.0]]))
    both = run_heads({**HEADS, OFF_CONTEXT_REPLY: reply_judge}, np.array([[2.0]]))
    assert one_judge.flags["off_context"][0] == sigmoid(2.0)
    assert both.flags["off_context"][0] == sigmoid(-2.0)
    # The second judge lends its verdict to off-context only: no flag of its own.
    assert set(both.flags) == set(LEARNED_FLAGS)
    assert both.flags["blame"][0] == one_judge.flags["blame"][0]


def test_off_context_agreed_takes_the_less_convinced_judge():
    flags = {"off_context": np.array([0.9, 0.2]), OFF_CONTEXT_REPLY: np.array([0.6, 0.8])}
    agreed = off_context_agreed(flags)
    assert agreed == {"off_context": agreed["off_context"]}
    np.testing.assert_allclose(agreed["off_context"], [0.6, 0.2])
    assert off_context_agreed({"off_context": np.array([0.9])})["off_context"][0] == 0.9
