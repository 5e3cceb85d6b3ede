"""The lexical channel without the encoder: TF-IDF rows, stock phrases, stacking, storage."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from trainer.scoring.heads import LinearHead, load_heads, load_lexical, logit, save_heads, sigmoid
from trainer.scoring.lexical import LexicalModel, Vocabulary, lexical_text, terms_of
from trainer.scoring.rubric import load_rubric
from trainer.scoring.text import prepare
from trainer.scoring.train import _calibration

TEXTS = [
    "I'm so sorry the router died twice today, that's awful for your calls.",
    "Mohon maaf Kak, paketnya telat 3 hari :( kami kirim ulang hari ini ya",
    "please wait please wait please wait",
    "Your ticket is logged. Ticket ticket TICKET.",
    "gmn sih ini udah 2x gagal bayar 😡😡",
]


def test_rows_equal_scikit_learn_tfidf():
    vocabulary = Vocabulary.fit(TEXTS)
    reference = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(TEXTS)
    assert dict(zip(vocabulary.terms, range(len(vocabulary)), strict=True)) == (
        reference.vocabulary_
    )
    unseen = ["Sorry, the ticket is logged, please wait.", "😡", "kami kirim ulang ya Kak"]
    ours = vocabulary.matrix(TEXTS + unseen).toarray()
    np.testing.assert_allclose(ours, reference.transform(TEXTS + unseen).toarray(), atol=1e-12)


def test_terms_are_words_and_word_pairs_lower_cased():
    assert terms_of("Sorry, Kak!  a b 2x") == ["sorry", "kak", "2x", "sorry kak", "kak 2x"]


def test_stock_phrases_are_blanked_in_the_reply_and_in_each_sentence():
    rubric = load_rubric()
    reply = "Sorry for the inconvenience caused, sir. The engineer comes at 9 tomorrow."
    prep = prepare(reply, rubric)
    assert prep.stock_spans, "the rubric's stock phrases should match the apology"
    text = lexical_text(prep)
    assert "inconvenience" not in text
    assert "sir" in text and "engineer comes at 9" in text
    first, second = (lexical_text(prep, span) for span in prep.sentence_spans)
    assert first.split() == [",", "sir."]
    assert second == "The engineer comes at 9 tomorrow."


def _model(vocabulary: Vocabulary) -> LexicalModel:
    rng = np.random.default_rng(0)
    return LexicalModel(
        vocabulary,
        names=("empathy", "blame"),
        coef=rng.normal(size=(2, len(vocabulary))),
        intercept=np.array([-0.5, 0.25]),
    )


def test_a_model_scores_each_text_with_each_head():
    vocabulary = Vocabulary.fit(TEXTS)
    model = _model(vocabulary)
    raw = model.raw(TEXTS[:2])
    rows = vocabulary.matrix(TEXTS[:2])
    for j, name in enumerate(model.names):
        expected = sigmoid(rows @ model.coef[j] + model.intercept[j])
        np.testing.assert_allclose(raw[name], expected)
    # A text with no known term gets the intercept's verdict.
    assert model.raw(["😡"])["blame"][0] == pytest.approx(sigmoid(np.array(0.25)))


def test_the_lexical_channel_round_trips_through_the_heads_file(tmp_path):
    vocabulary = Vocabulary.fit(TEXTS)
    model = _model(vocabulary)
    head = LinearHead(np.zeros(2), np.ones(2), np.array([[1.0, -1.0]]), np.zeros(1), (1.0, 0.0))
    save_heads(tmp_path / "plain.npz", {"blame": head}, np.zeros((3, 2)))
    save_heads(tmp_path / "heads.npz", {"blame": head}, np.zeros((3, 2)), model)
    assert load_lexical(tmp_path / "plain.npz") is None
    heads, _ = load_heads(tmp_path / "heads.npz")
    assert set(heads) == {"blame"}
    loaded = load_lexical(tmp_path / "heads.npz")
    assert loaded is not None
    assert loaded.vocabulary.terms == vocabulary.terms
    assert loaded.names == model.names
    for name, values in model.raw(TEXTS).items():
        np.testing.assert_allclose(loaded.raw(TEXTS)[name], values, atol=1e-5)


def test_a_stacked_calibration_weighs_both_verdicts_and_needs_both():
    head = LinearHead(np.zeros(1), np.ones(1), np.array([[1.0]]), np.zeros(1), (2.0, -0.5, 1.5))
    raw, lexical = np.array([0.3]), np.array([0.8])
    expected = sigmoid(2.0 * logit(raw) - 0.5 + 1.5 * logit(lexical))
    np.testing.assert_allclose(head.calibrate(raw, lexical), expected)
    with pytest.raises(ValueError, match="lexical"):
        head.calibrate(raw)


def test_the_stacked_calibration_is_fitted_on_both_verdicts():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400)
    # The lexical verdict separates the labels, the other one is noise: it earns the weight.
    raw = rng.uniform(0.05, 0.95, 400)
    lexical = np.where(y == 1, 0.8, 0.2) + rng.normal(0, 0.05, 400)
    a, _, c = _calibration(raw, y, np.ones(400), np.clip(lexical, 0.01, 0.99))
    assert c > 1.0 > abs(a)
    assert len(_calibration(raw, y, np.ones(400))) == 2


def test_a_scorer_refuses_stacked_heads_without_their_lexical_channel():
    from trainer.scoring.features import Featurizer
    from trainer.scoring.rubric import DIMENSIONS, LEARNED_FLAGS
    from trainer.scoring.scorer import Scorer

    stacked = LinearHead(np.zeros(1), np.ones(1), np.array([[1.0]]), np.zeros(1), (1.0, 0.0, 1.0))
    heads = {name: stacked for name in (*DIMENSIONS, *LEARNED_FLAGS)}
    with pytest.raises(ValueError, match="no lexical head"):
        Scorer(None, heads, Featurizer(np.zeros((2, 1))), load_rubric(), "test")  # type: ignore[arg-type]
