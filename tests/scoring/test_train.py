"""Training is deterministic and writes a loadable model folder (on a small corpus sample)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from trainer.scoring.card import render_model_card
from trainer.scoring.corpus import LabelledSetError, corpus_files
from trainer.scoring.heads import OFF_CONTEXT_REPLY, load_heads
from trainer.scoring.scorer import read_model
from trainer.scoring.train import TrainConfig, train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    for path in corpus_files():
        if path.stem in {"en_a", "id_c"}:
            lines = path.read_text(encoding="utf-8").splitlines()[:90]
            (folder / path.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _train(output, corpus, scorer):
    config = replace(TrainConfig(), folds=2, bank_size=16)
    return train(
        output,
        corpus_dir=corpus,
        config=config,
        encoder=scorer.encoder,
        show_progress=False,
        log=lambda _: None,
    )


def test_training_is_deterministic_and_loadable(tmp_path, small_corpus, scorer):
    first = _train(tmp_path / "a", small_corpus, scorer)
    second = _train(tmp_path / "b", small_corpus, scorer)
    assert first.model_version == second.model_version
    for name in ("model_card.json", "rubric.json", "MODEL_CARD.md"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    # Multi-threaded BLAS may round differently from run to run: weights agree to float noise.
    heads_a, bank_a = load_heads(tmp_path / "a" / "heads.npz")
    heads_b, bank_b = load_heads(tmp_path / "b" / "heads.npz")
    # Off-context has its two judges (heads.off_context_agreed).
    assert {"off_context", OFF_CONTEXT_REPLY} <= set(heads_a)
    assert np.allclose(bank_a, bank_b, atol=1e-6)
    for name, head in heads_a.items():
        assert np.allclose(head.coef, heads_b[name].coef, atol=1e-4)
        assert np.allclose(head.calibration, heads_b[name].calibration, atol=1e-4)

    card = json.loads((tmp_path / "a" / "model_card.json").read_text())
    assert (tmp_path / "a" / "MODEL_CARD.md").read_text() == render_model_card(card)
    assert card["corpus"]["items"] == 180
    assert set(card["cross_validation"]["dimensions"]["empathy"]) == {"all", "en", "id"}
    assert card["data_sha256"] and card["encoder"]["weights_sha256"]

    model = read_model(tmp_path / "a", encoder=scorer.encoder)
    result = model.score("I've refunded the double charge; it shows by Friday.", "Charged twice!")
    assert result.model_version == first.model_version


#: Trains the small corpus into argv[1] from argv[2], as _train does.
TRAIN_SCRIPT = """
import sys
from dataclasses import replace
from pathlib import Path
from trainer.scoring.train import TrainConfig, train
config = replace(TrainConfig(), folds=2, bank_size=16)
train(Path(sys.argv[1]), corpus_dir=Path(sys.argv[2]), config=config, show_progress=False)
"""


def test_training_gives_the_same_bytes_in_any_process(tmp_path, small_corpus):
    # Each process orders a set of strings its own way (hash randomisation); the model must not
    # depend on it, so that anyone can rebuild models/ exactly.
    for seed in ("1", "2"):
        subprocess.run(
            [sys.executable, "-c", TRAIN_SCRIPT, str(tmp_path / seed), str(small_corpus)],
            env={**os.environ, "PYTHONHASHSEED": seed, "HF_HUB_OFFLINE": "1"},
            check=True,
            capture_output=True,
        )
    for name in ("heads.npz", "model_card.json"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name


def test_changed_data_changes_the_model_version(tmp_path, small_corpus, scorer):
    baseline = _train(tmp_path / "a", small_corpus, scorer)
    changed = tmp_path / "corpus"
    changed.mkdir()
    for path in small_corpus.iterdir():
        lines = path.read_text(encoding="utf-8").splitlines()
        (changed / path.name).write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    assert _train(tmp_path / "b", changed, scorer).model_version != baseline.model_version


def test_training_items_need_levels(tmp_path, scorer):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "x.jsonl").write_text(
        json.dumps(
            {
                "text": "Fixed it.",
                "context": "Broken!",
                "empathy": 0,
                "validation": 0,
                "solution": 1,
            }
        )
        + "\n"
    )
    with pytest.raises(LabelledSetError, match="need levels"):
        _train(tmp_path / "m", corpus, scorer)
