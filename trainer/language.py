"""Which of the product's two languages a text is written in, told by its function words."""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from trainer.vocabulary import N_

Language = Literal["en", "id"]
#: Each language's name in an English sentence (the web layer translates it where it is shown).
LANGUAGE_NAMES: dict[str, str] = {"en": N_("English"), "id": N_("Indonesian")}

#: Short words nearly every Indonesian sentence has and English never uses, chat spellings too.
INDONESIAN_WORDS = frozenset(
    [
        "yang",
        "saya",
        "sy",
        "aku",
        "gak",
        "nggak",
        "ngga",
        "tidak",
        "tdk",
        "ini",
        "itu",
        "udah",
        "udh",
        "sudah",
        "sdh",
        "kak",
        "pak",
        "bu",
        "bapak",
        "ibu",
        "dan",
        "di",
        "ke",
        "kok",
        "dong",
        "sih",
        "aja",
        "kalau",
        "kalo",
        "mau",
        "bisa",
        "belum",
        "blm",
        "lagi",
        "ya",
        "juga",
        "karena",
        "krn",
        "buat",
        "untuk",
        "utk",
        "dengan",
        "dgn",
        "dari",
        "akan",
        "kami",
        "kita",
        "ada",
        "mohon",
        "maaf",
        "terima",
        "kasih",
        "sama",
        "tapi",
        "atau",
        "jadi",
        "masih",
    ]
)
#: Short words nearly every English sentence has and Indonesian never uses.
ENGLISH_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "i",
        "my",
        "you",
        "your",
        "is",
        "are",
        "was",
        "it",
        "this",
        "that",
        "to",
        "of",
        "for",
        "not",
        "with",
        "have",
        "be",
        "we",
        "will",
        "can",
        "please",
        "on",
        "in",
        "at",
        "has",
        "me",
        "our",
        "been",
        "would",
        "could",
        "there",
        "what",
    ]
)
#: A language is told only from this many of its words ...
MIN_WORDS = 2
#: ... outnumbering the other language's this many times; anything less is mixed or too short.
MARGIN = 3

_WORD = re.compile(r"[a-z']+")


class WordCounts(NamedTuple):
    """How many of a text's words are English and Indonesian function words."""

    english: int
    indonesian: int


def word_counts(text: str) -> WordCounts:
    words = _WORD.findall(text.lower())
    return WordCounts(
        sum(w in ENGLISH_WORDS for w in words), sum(w in INDONESIAN_WORDS for w in words)
    )


def guess_language(text: str) -> Language | None:
    """``en`` or ``id`` when the text clearly is in that language; None for a text too short
    to tell, one that mixes both (code-switching is common in Indonesian chat) or neither."""
    english, indonesian = word_counts(text)
    if english >= MIN_WORDS and english >= MARGIN * indonesian:
        return "en"
    if indonesian >= MIN_WORDS and indonesian >= MARGIN * english:
        return "id"
    return None
