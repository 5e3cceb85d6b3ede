"""Shared fixtures: the real scorer is loaded once per test session (it is the slow part)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_EVAL = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="session")
def scorer():
    from trainer.scoring import load_scorer

    return load_scorer()


@pytest.fixture(scope="session")
def rubric():
    from trainer.scoring.rubric import load_rubric

    return load_rubric()


TEXT = (
    "i want my money back now this is the third time you charged me twice and my supplier "
    "payment bounced fix it today or i close the account"
)
WORDS = TEXT.split()


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory):
    """A randomly initialised one-layer GPT-2 with a word-level tokenizer, saved to a folder."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-lm")
    vocab = {w: i for i, w in enumerate(["[UNK]", "[EOS]", *dict.fromkeys(WORDS)])}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="[UNK]", eos_token="[EOS]", pad_token="[EOS]"
    )
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = GPT2Config(
        vocab_size=len(vocab),
        n_positions=1024,
        n_embd=16,
        n_layer=1,
        n_head=2,
        bos_token_id=1,
        eos_token_id=1,
    )
    GPT2LMHeadModel(config).save_pretrained(folder)
    return folder
