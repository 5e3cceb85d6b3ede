"""Telling English from Indonesian by function words, and declining to guess."""

from __future__ import annotations

import pytest

from trainer.language import guess_language, word_counts


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I'm sorry your internet has been down since yesterday.", "en"),
        ("my parcel still hasnt arrived and its been a week", "en"),
        ("Mohon maaf atas ketidaknyamanannya, Bapak. Laporan sudah kami teruskan.", "id"),
        ("kak paket sy blm sampe udh seminggu, gmn sih", "id"),
        ("Baik pak, mohon ditunggu, sedang kami cek.", "id"),
    ],
)
def test_a_text_clearly_in_one_language_is_told(text, language):
    assert guess_language(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "Ok.",  # too short to tell
        "Refund requested.",  # no function word of either language
        "Kak, my order belum sampai dan the tracking is not updating ya",  # code-switching
        "12345 !!!",
        "",
    ],
)
def test_short_mixed_or_wordless_text_is_not_guessed(text):
    assert guess_language(text) is None


def test_counts_are_by_whole_word_and_case_blind():
    # "di" inside "did" or "Indonesia" is no Indonesian word; "THE" is an English one.
    assert word_counts("THE didn't Indonesia") == (1, 0)
    assert word_counts("Di sini, ya") == (0, 2)
