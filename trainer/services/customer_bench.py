"""How long the modelled customer takes per turn, beyond scoring (``trainer bench --customer``)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from trainer.core import simulator
from trainer.core.scenario import Scenario, load_scenario
from trainer.services.customers import signal_of

SEEDS = 5
HOSTILE = {"en": "That's not my problem, you should have read the terms.",
           "id": "Itu bukan urusan kami, harusnya baca syarat dan ketentuannya dulu."}  # fmt: skip


def modelled(directory: Path) -> list[Scenario]:
    scenarios = [load_scenario(p) for p in sorted(directory.glob("*.yaml"))]
    return [s for s in scenarios if s.mode == "model"]


def run_customer_bench(scorer: Any, directory: Path, seeds: int = SEEDS) -> dict[str, Any]:
    """Play every modelled scenario with exemplar and hostile replies; time only the customer.

    Scores are computed first and outside the clock, so the figure is what the simulator adds
    to a turn: state update, slot reading, line choice (the line bank's vectors are built once
    per scenario version, also outside the clock, as the app caches them).
    """
    timings: list[float] = []
    scenarios = modelled(directory)
    for scenario in scenarios:
        bank = simulator.LineBank(scenario.model, scorer.embed)
        for seed in range(seeds):
            for hostile in (False, True):
                state, turn = simulator.start(scenario, seed)
                while not state.done:
                    reply = (
                        HOSTILE[scenario.language]
                        if hostile
                        else simulator.exemplar_for(scenario, state.intent, seed + state.turns)
                    )
                    signal = signal_of(scorer.score(reply, context=turn.text))
                    began = time.perf_counter()
                    state, turn, _ = simulator.advance(scenario, state, reply, signal, seed, bank)
                    timings.append((time.perf_counter() - began) * 1000)
    if not timings:
        raise ValueError(f"no modelled scenario in {directory}")
    ordered = sorted(timings)
    return {
        "scenarios": len(scenarios),
        "turns": len(timings),
        "customer_ms_p50": round(statistics.median(ordered), 3),
        "customer_ms_p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        "customer_ms_mean": round(statistics.fmean(ordered), 3),
        "goal_ms": 20,
    }


def format_customer_bench(result: dict[str, Any]) -> str:
    return (
        f"modelled customer, {result['turns']} turns over {result['scenarios']} scenarios "
        f"(time beyond scoring): p50 {result['customer_ms_p50']:.2f} ms, "
        f"p95 {result['customer_ms_p95']:.2f} ms, mean {result['customer_ms_mean']:.2f} ms "
        f"(goal <= {result['goal_ms']} ms)"
    )
