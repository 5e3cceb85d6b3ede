"""A modelled scenario with a configured local language model (a tiny random one, built here)."""

from __future__ import annotations

import pytest

from tests.web.test_api import GOOD, start
from tests.web.test_modelled_api import MODELLED


@pytest.fixture
def app_config(tiny_lm):
    return {"TRAINER_CUSTOMER_LM": str(tiny_lm)}


def test_a_configured_language_model_is_used_behind_the_guard(app, client, headers):
    assert app.extensions["trainer.customers"].generator is not None
    attempt = start(client, headers, MODELLED[0])
    body = client.post(
        f"/api/v1/attempts/{attempt['id']}/turns", json={"reply": GOOD}, headers=headers
    ).json
    assert body["customer"]["text"]
