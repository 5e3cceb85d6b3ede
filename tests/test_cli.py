"""The trainer command: score, evaluate, bench, validate, and their exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from trainer.cli import cli
from trainer.vocabulary import REPLY_FLAGS


@pytest.fixture
def runner():
    return CliRunner()


@pytest.mark.slow
def test_score_json(runner, scorer):
    result = runner.invoke(
        cli, ["score", "I've booked a technician for 8am.", "--context", "No internet!", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload["dimensions"]) == {"empathy", "validation", "solution"}
    assert payload["model_version"] == scorer.model_version


@pytest.mark.slow
def test_score_text_output(runner, scorer):
    result = runner.invoke(cli, ["score", "Sorry, I've refunded it today.", "--context", "Refund!"])
    assert result.exit_code == 0
    assert "service level" in result.output


@pytest.mark.slow
def test_score_text_says_when_no_sentence_carries_a_dimension(runner, scorer):
    reply = (
        "Right. Three days, four calls, lost work. A technician is booked for tomorrow at 9 and "
        "I'll call you at 8."
    )
    message = "My internet has been down for three days and nobody calls back!"
    result = runner.invoke(cli, ["score", reply, "--context", message])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    validation = next(i for i, line in enumerate(lines) if line.strip().startswith("validation"))
    assert "level 2" in lines[validation]
    assert lines[validation + 1].strip().startswith("(shown by the reply as a whole")


@pytest.mark.slow
@pytest.mark.parametrize("reply", ["", "   ", "🙏🙏"])
def test_score_bad_input_exits_2_with_a_message(runner, scorer, reply):
    result = runner.invoke(cli, ["score", reply])
    assert result.exit_code == 2
    assert "error: reply" in result.output


@pytest.mark.slow
def test_score_reads_standard_input(runner, scorer):
    result = runner.invoke(cli, ["score", "-", "--json"], input="I've fixed the bill.\n")
    assert result.exit_code == 0
    assert json.loads(result.output)["service_level"] in range(5)


@pytest.mark.slow
def test_evaluate_reports_per_dimension_and_slice(runner, scorer, tmp_path):
    path = tmp_path / "set.jsonl"
    rows = [
        {"text": "I've reissued your card; it arrives Thursday.", "context": "Card blocked!",
         "empathy": None, "validation": 0, "solution": 1, "source": "a:1", "flags": []},
        {"text": "Not our problem.", "context": "Card blocked!", "empathy": 0,
         "validation": 0, "solution": 0, "source": "b:1", "flags": ["dismissive"]},
        {"text": "That sounds so stressful - being stuck abroad with no card is scary.",
         "context": "My card got blocked abroad", "empathy": 1, "validation": 1,
         "solution": 0, "source": "b:2"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = runner.invoke(cli, ["evaluate", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["dimensions"]["empathy"]["n"] == 2
    assert report["dimensions"]["solution"]["n"] == 3
    assert set(report["dimensions"]["solution"]["slices"]) == {"a", "b"}
    for key in ("precision", "recall", "f1", "support", "macro_f1"):
        assert key in report["dimensions"]["validation"]
        assert key in report["dimensions"]["validation"]["from_level_1"]
    # Both classes present: a ranking figure; one class only (slice "a"): none, not a made-up 0.5.
    assert 0.0 <= report["dimensions"]["validation"]["auc"] <= 1.0
    assert report["dimensions"]["solution"]["slices"]["a"]["auc"] is None
    assert 0.0 <= report["macro_f1"] <= 1.0
    # Flags are measured over the two items that carry a flags list.
    assert set(report["flags"]) == set(REPLY_FLAGS)
    assert report["flags"]["dismissive"]["n"] == 2
    assert report["flags"]["dismissive"]["support"] == 1
    text = runner.invoke(cli, ["evaluate", str(path), "--dimension", "solution"])
    assert "solution" in text.output and "empathy " not in text.output
    assert "AUC" in text.output
    assert "dismissive" in text.output
    path.write_text(json.dumps({**rows[2], "flags": None}) + "\n")
    unflagged = json.loads(runner.invoke(cli, ["evaluate", str(path), "--json"]).output)
    assert "flags" not in unflagged


@pytest.mark.slow
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"text": 5, "context": ""}', "text must be a non-empty string"),
        ('{"text": "ok", "context": "", "empathy": 2}', "empathy must be 0, 1 or null"),
        ('["a", "b"]', "must be a JSON object"),
        ('{"text": "ok", "flags": [["blame"]]}', "flags must be a list of"),
        ("[" * 100_000, "JSON nested too deeply"),
        (b'{"text": "caf\xe9"}', "not UTF-8 text"),
    ],
)
def test_evaluate_bad_lines_exit_2_with_file_and_line(runner, scorer, tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    first = b'{"text": "fine", "context": "", "empathy": 1}\n'
    path.write_bytes(first + (line if isinstance(line, bytes) else line.encode()) + b"\n")
    result = runner.invoke(cli, ["evaluate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:2: " in result.output and message in result.output


@pytest.mark.slow
def test_bench_reports_both_sides_and_ratios(runner, scorer):
    result = runner.invoke(cli, ["bench", "--json", "-n", "16"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    single, batch = figures["single"], figures["batch"]
    assert single["scorer_p50_ms"] > 0 and single["encoder_p50_ms"] > 0
    assert single["p50_ratio"] == pytest.approx(
        single["scorer_p50_ms"] / single["encoder_p50_ms"], rel=0.01
    )
    assert batch["throughput_ratio"] > 0
    assert figures["memory"]["rss_mb"] > 0


def test_validate_accepts_the_rubrics_and_scenarios(runner):
    result = runner.invoke(cli, ["validate", "rubrics/", "scenarios/"])
    assert result.exit_code == 0, result.output


def test_validate_reports_a_broken_scenario_copy(runner, tmp_path):
    source = sorted(Path("scenarios").glob("*.yaml"))[0]
    lines = source.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip().startswith("goto:"))
    lines[index] = lines[index].split("goto:")[0] + "goto: nowhere_at_all"
    broken = tmp_path / source.name
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["validate", str(broken)])
    assert result.exit_code == 1
    assert f"{broken}:{index + 1}: node 'nowhere_at_all' is not defined" in result.output


def test_validate_reports_file_line_and_exits_1(runner, tmp_path):
    broken = tmp_path / "dimensions.yaml"
    broken.write_text("version: 1\ndimensions: []\nextra: 1\n")
    result = runner.invoke(cli, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{broken}:3: extra: unknown field" in result.output
    assert f"{broken}:2: dimensions:" in result.output


def test_every_command_has_help(runner):
    for command in ("score", "evaluate", "bench", "train", "validate"):
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


HOSTILE_EXEMPLAR = "That is your own router. You should have read the manual before calling us."


@pytest.mark.slow
def test_validate_exemplars_reports_what_the_scorer_finds_by_line(runner, scorer, tmp_path):
    from tests.core.conftest import VALID

    first = "        - Three days offline is awful;"
    lines = VALID.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(first)) + 1
    lines.insert(at, f"        - {HOSTILE_EXEMPLAR}")
    path = tmp_path / "demo-outage.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["validate", "--exemplars", str(path)])
    assert result.exit_code == 1, result.output
    where = f"{path}:{at + 1}: node 'opening' exemplar 2:"
    reported = [line for line in result.output.splitlines() if line.startswith(where)]
    assert any("the scorer raises" in line and "blame" in line for line in reported), reported
    assert f"{where} service level 0, below the target 3" in reported
    assert f"{where} it leads to the escalation end 'escalated'" in reported


@pytest.mark.slow
def test_validate_exemplars_passes_sound_scenarios(runner, scorer):
    paths = ["scenarios/telco-outage-home-office.yaml", "scenarios/kartu-atm-terblokir.yaml"]
    result = runner.invoke(cli, ["validate", "--exemplars", *paths, "rubrics/"])
    assert result.exit_code == 0, result.output
