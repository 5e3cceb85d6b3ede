"""Fixtures for the domain core: a small valid scripted scenario."""

from __future__ import annotations

import pytest

from trainer.core.scenario import load_scenario

VALID = """\
id: demo-outage
version: 1
title: Internet down
language: en
sector: telco
difficulty: 2
target_level: 3
objectives:
  - Validate the frustration
customer:
  name: Dana
  persona: Works from home.
  mood: 9
  patience: 3
script:
  start: opening
  nodes:
    opening:
      customer: Third day without internet!
      mood: 9
      exemplars:
        - Three days offline is awful; a technician comes at 8am and I will call you at noon.
      branches:
        - if: {flags_any: [blame, dismissive]}
          goto: escalated
        - if: {min: {validation: 2, solution: 2}}
          goto: resolved
      otherwise: opening
    resolved:
      customer: Thank you.
      mood: 3
      end: resolved
    escalated:
      customer: Supervisor, now.
      mood: 10
      end: escalated
"""


@pytest.fixture
def demo_scenario(tmp_path):
    path = tmp_path / "demo-outage.yaml"
    path.write_text(VALID, encoding="utf-8")
    return load_scenario(path)
