"""The project's labelled corpus: size, balance, format, and no overlap with the eval sets."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import SHARED_EVAL
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.scoring.corpus import (
    LabelledSetError,
    content_hash,
    corpus_files,
    read_corpus,
    read_labelled,
)
from trainer.scoring.rubric import DIMENSIONS, FLAGS

HARD_KINDS = {"hard_negative", "hard_positive"}


@pytest.fixture(scope="module")
def corpus():
    return read_corpus(corpus_files())


def test_corpus_size_and_languages(corpus):
    languages = Counter(item.language for item in corpus)
    assert len(corpus) >= 1500
    assert languages["en"] >= 1000
    assert languages["id"] >= 500
    assert set(languages) == {"en", "id"}


def test_corpus_sectors_and_contexts(corpus):
    sectors = Counter(item.extra["sector"] for item in corpus)
    assert len(sectors) >= 10
    assert sum(1 for item in corpus if item.context.strip()) / len(corpus) > 0.97


def test_every_level_and_flag_is_well_represented(corpus):
    levels = Counter(item.service_level for item in corpus if item.service_level is not None)
    assert all(levels[level] >= 150 for level in range(5)), levels
    flags = Counter(flag for item in corpus for flag in item.flags or ())
    learned = set(FLAGS) - {"truncated"}
    assert all(flags[flag] >= 60 for flag in learned), flags
    for d in DIMENSIONS:
        per_level = Counter(item.levels[d] for item in corpus)
        assert all(per_level[level] >= 100 for level in range(4)), (d, per_level)


def test_hard_examples_are_at_least_a_fifth(corpus):
    hard = sum(item.extra["kind"] in HARD_KINDS for item in corpus)
    assert hard / len(corpus) >= 0.20


def test_binary_labels_follow_levels(corpus):
    for item in corpus:
        for d in DIMENSIONS:
            assert item.labels[d] == int(item.levels[d] >= 2), item.source


def test_no_duplicate_replies(corpus):
    hashes = Counter(content_hash(item.text) for item in corpus)
    assert [h for h, n in hashes.items() if n > 1] == []


def test_corpus_lines_use_the_labelled_set_format():
    for path in corpus_files():
        first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
        assert {"text", "context", *DIMENSIONS, "language", "level", "flags", "sector"} <= set(
            first
        )


def test_no_item_shares_a_hash_with_the_eval_sets(corpus):
    decontam = SHARED_EVAL / "decontam_sha256.txt"
    if not decontam.is_file():
        pytest.skip("../shared/eval is not present")
    forbidden = {line.split()[0] for line in decontam.read_text().splitlines() if line.strip()}
    assert len(forbidden) > 1000
    rubrics = corpus_files()[0].parent.parent
    others = read_corpus(corpus_files(rubrics / "dev") + corpus_files(rubrics / "candidates"))
    texts = [item.text for item in [*corpus, *others]]
    texts += [item.context for item in [*corpus, *others] if item.context]
    assert [t for t in texts if content_hash(t) in forbidden] == []


def test_content_hash_follows_the_eval_normalisation():
    # lowercase, each run outside [a-z0-9] as one space, stripped
    assert content_hash("  Hello,   WORLD!! ") == content_hash("hello world")


# Any line a labelled file may hold (Hypothesis, derandomized): an item or a file:line error.
FIELD_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 5) | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=6,
)
LINES = st.fixed_dictionaries(
    {"text": st.one_of(st.just("A reply."), FIELD_VALUES)},
    optional={
        name: FIELD_VALUES
        for name in ("context", "levels", "flags", "level", "language", "source", *DIMENSIONS)
    },
)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(line=st.one_of(LINES, FIELD_VALUES))
def test_any_line_is_read_or_refused_with_its_place(tmp_path_factory, line):
    path = tmp_path_factory.mktemp("labelled") / "set.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    try:
        items = list(read_labelled(path))
    except LabelledSetError as exc:
        assert str(exc).startswith(f"{path}:1: ")
    else:
        assert len(items) == 1 and isinstance(items[0].text, str)
