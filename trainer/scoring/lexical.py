"""The lexical channel: word n-gram TF-IDF heads whose verdicts are stacked with the encoder's."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from trainer.scoring.heads import sigmoid
from trainer.scoring.text import PreparedReply
from trainer.vocabulary import LEARNED_FLAGS

#: Flags the reply's own words can show; off-context is a relation to the customer's message.
LEXICAL_FLAGS = tuple(f for f in LEARNED_FLAGS if f != "off_context")

#: Words and word pairs. Character n-grams measured no better on the dev sets and would make
#: the stored vocabulary several times larger.
NGRAMS = (1, 2)
#: A term must occur in this many training replies to enter the vocabulary.
MIN_DF = 2
#: scikit-learn's default token: two or more word characters.
TOKEN = re.compile(r"(?u)\b\w\w+\b")


def lexical_text(prepared: PreparedReply, span: tuple[int, int] | None = None) -> str:
    """The prepared reply (injected and repeated sentences gone), or its sentence at ``span``,
    with stock phrases blanked: as in the encoder's pooling, "I understand" and the like carry
    no weight of their own."""
    start, end = span or (0, len(prepared.text))
    chars = list(prepared.text[start:end])
    for a, b in prepared.stock_spans:
        for k in range(max(a, start), min(b, end)):
            chars[k - start] = " "
    return "".join(chars)


def terms_of(text: str) -> list[str]:
    """Lower-cased words and adjacent word pairs, as scikit-learn's word n-gram analyser."""
    words = TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in pairwise(words)]


class Vocabulary:
    """Terms and their inverse document frequencies. A text's row is its sublinear TF-IDF,
    L2-normalised: exactly scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``, in numpy."""

    def __init__(self, terms: Sequence[str], idf: np.ndarray) -> None:
        if len(terms) != len(idf):
            raise ValueError("the vocabulary and its idf differ in length")
        self.terms = tuple(terms)
        self.idf = np.asarray(idf, dtype=np.float64)
        self.index = {t: i for i, t in enumerate(self.terms)}

    @classmethod
    def fit(cls, texts: Sequence[str]) -> Vocabulary:
        from sklearn.feature_extraction.text import TfidfVectorizer

        fitted = TfidfVectorizer(ngram_range=NGRAMS, min_df=MIN_DF, sublinear_tf=True).fit(texts)
        terms = sorted(fitted.vocabulary_, key=fitted.vocabulary_.__getitem__)
        return cls(terms, fitted.idf_)

    def __len__(self) -> int:
        return len(self.terms)

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The non-zero columns of ``text``'s row and their values."""
        counts = Counter(self.index[t] for t in terms_of(text) if t in self.index)
        columns = np.array(sorted(counts), dtype=np.int64)
        if not len(columns):
            return columns, np.zeros(0)
        tf = 1.0 + np.log(np.array([counts[c] for c in columns], dtype=np.float64))
        values = tf * self.idf[columns]
        return columns, values / np.linalg.norm(values)

    def matrix(self, texts: Sequence[str]):
        """The rows of ``texts`` as a scipy sparse matrix (for training)."""
        from scipy.sparse import csr_matrix

        rows = [self.row(t) for t in texts]
        indptr = np.cumsum([0, *(len(c) for c, _ in rows)])
        columns = np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, np.int64)
        values = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
        return csr_matrix((values, columns, indptr), shape=(len(rows), len(self)))


@dataclass(frozen=True)
class LexicalModel:
    """The vocabulary and a logistic head per dimension and learned flag: ``coef`` holds one
    row of weights per name in ``names``."""

    vocabulary: Vocabulary
    names: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray

    def raw(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Per head, the uncalibrated probability for each of ``texts`` (lexical_text views)."""
        z = np.tile(self.intercept, (len(texts), 1))
        for k, text in enumerate(texts):
            columns, values = self.vocabulary.row(text)
            z[k] += self.coef[:, columns] @ values
        p = sigmoid(z)
        return {name: p[:, j] for j, name in enumerate(self.names)}


def fit_lexical_head(rows, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Weights and intercept of a logistic regression with balanced classes (so that a rare
    flag is still heard)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
    model.fit(rows, y)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])
