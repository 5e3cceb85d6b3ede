"""The simulated customers' line banks: embedded once per scenario content, the cache bounded."""

from __future__ import annotations

from pathlib import Path

from trainer.core.scenario import load_scenario
from trainer.services.customers import BANKS_KEPT, Customers

MODELLED = Path(__file__).resolve().parents[1] / "scenarios" / "bank-double-charge-rent.yaml"


class NoModel:
    """A scorer provider without a model: the banks fall back to word overlap."""

    def get(self):
        raise RuntimeError("no model here")


def drafts(scenario, n: int, start: int = 0):
    return [scenario.model_copy(update={"title": f"Draft {start + i}"}) for i in range(n)]


def test_a_bank_is_kept_per_content_and_the_least_recently_used_goes_first():
    scenario = load_scenario(MODELLED)
    customers = Customers(NoModel())
    kept = customers.bank(scenario)
    assert customers.bank(scenario) is kept
    for draft in drafts(scenario, BANKS_KEPT - 1):
        customers.bank(draft)
    assert customers.bank(scenario) is kept  # used again: now the most recent
    for draft in drafts(scenario, 2, start=BANKS_KEPT):
        customers.bank(draft)
    assert customers.bank(scenario) is kept
    for draft in drafts(scenario, BANKS_KEPT, start=100):
        customers.bank(draft)
    assert customers.bank(scenario) is not kept  # bounded: embedded again
