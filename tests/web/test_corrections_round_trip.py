"""Corrections retrain the scorer: override 20 turns, export, retrain, re-score (real encoder).

The retraining here uses a slice of the corpus and two folds so that it takes seconds; the
command is the same one `trainer train --with-corrections` runs on the whole corpus.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from tests.web.conftest import ROOT
from tests.web.test_api import GOOD, start
from trainer.cli import cli
from trainer.extensions import db
from trainer.models import TurnScore
from trainer.scoring.scorer import read_model
from trainer.scoring.train import TrainConfig, train
from trainer.services.calibration import agreement_report, rescore_history

pytestmark = pytest.mark.slow
SLICE = 120


def test_override_export_retrain_rescore(
    app, client, make_user, token_for, scorer, tmp_path, monkeypatch
):
    agent, trainer = token_for(make_user("agent")), token_for(make_user("trainer"))
    reviewed = 0
    while reviewed < 20:
        attempt = start(client, agent)["id"]
        for _ in range(3):
            body = client.post(
                f"/api/v1/attempts/{attempt}/turns", json={"reply": GOOD}, headers=agent
            ).json
            response = client.post(
                f"/api/v1/attempts/{attempt}/turns/{body['turn']}/review",
                json={
                    "levels": {"empathy": 1, "validation": 2},
                    "service_level": 2,
                    "reason": "a stock apology; the plan is good",
                },
                headers=trainer,
            )
            assert response.status_code == 200
            reviewed += 1
            if body["done"]:
                break
    with app.app_context():
        before = agreement_report()["overall"]
    assert before["empathy"]["n"] == reviewed

    database = app.config["SQLALCHEMY_DATABASE_URI"]
    monkeypatch.setenv("DATABASE_URL", database)
    corrections = tmp_path / "corrections.jsonl"
    result = CliRunner().invoke(cli, ["export-corrections", "--output", str(corrections)])
    assert result.exit_code == 0, result.output
    items = [json.loads(line) for line in corrections.read_text().splitlines()]
    assert len(items) == reviewed
    assert items[0]["levels"] == {"empathy": 1, "validation": 2, "solution": 3}
    assert items[0]["level"] == 2 and items[0]["context"]

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("en_a", "id_a", "sup_a"):
        lines = (ROOT / "rubrics" / "corpus" / f"{name}.jsonl").read_text().splitlines()
        (corpus / f"{name}.jsonl").write_text("\n".join(lines[:SLICE]) + "\n")
    output = tmp_path / "model"
    config = replace(TrainConfig(), folds=2, bank_size=32)
    report = train(
        output,
        corpus_dir=corpus,
        extra_files=[corrections],
        config=config,
        encoder=scorer.encoder,
        show_progress=False,
        log=lambda _: None,
    )
    assert report.model_version != scorer.model_version
    retrained = read_model(output, encoder=scorer.encoder)

    with app.app_context():
        old_rows = db.session.query(TurnScore).count()
        assert rescore_history(retrained) == old_rows
        assert rescore_history(retrained) == 0  # idempotent
        versions = {v for (v,) in db.session.query(TurnScore.model_version)}
        assert versions == {"fake-1", retrained.model_version}
        assert db.session.query(TurnScore).count() == 2 * old_rows
        after = agreement_report()["overall"]
    assert after != before
