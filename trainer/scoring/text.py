"""Reply text preparation: input checks, sentences, and what the scorer must ignore."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from trainer.authored import LONE_SURROGATE
from trainer.language import guess_language
from trainer.scoring.rubric import Rubric

#: Characters kept before tokenising; the encoder's window is far shorter, this only bounds work.
MAX_REPLY_CHARS = 4000

#: Where a sentence may end: terminal punctuation (and any closing quote or bracket) before
#: whitespace or the end, or a line break. A full stop inside a token ("20.30", "Rp 5.000.000",
#: "£214.37", "app.ourshop.io") is not followed by whitespace, so it never ends one.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'\u201d\u2019)\]]*(?=\s|$)|\n")
#: The word before a lone full stop that does not end the sentence: a title before a name, an
#: abbreviation with inner stops, or "no." / "tgl." before a number.
_ABBREVIATION = re.compile(
    r"(?:^|[\s(])(?:(?:mr|mrs|ms|dr|prof|jr|sr|vs|bpk|yth|tn|ny|sdr|sdri|jl)|[a-z](?:\.[a-z])+)\.$",
    re.IGNORECASE,
)
_BEFORE_NUMBER = re.compile(r"(?:^|[\s(])(?:no|tgl)\.$", re.IGNORECASE)
#: A numbered list's marker ("1." at the start of a line) is not a sentence.
_LIST_MARKER = re.compile(r"\d{1,2}\.")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


class ReplyError(ValueError):
    """A reply that cannot be scored; ``reason`` names why, for messages in other languages."""

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        #: not_text | empty | invalid_text | no_words | invalid (anything else).
        self.reason = reason


def check_reply(reply: object, what: str = "reply") -> str:
    """Return the reply if it can be scored, else raise ReplyError with a message for the user."""
    if not isinstance(reply, str):
        raise ReplyError(f"{what} must be text, not {type(reply).__name__}", "not_text")
    if not reply.strip():
        raise ReplyError(f"{what} is empty", "empty")
    if LONE_SURROGATE.search(reply):
        raise ReplyError(
            f"{what} is not valid text: it holds bytes that are not UTF-8 or half of an emoji",
            "invalid_text",
        )
    if not any(unicodedata.category(ch)[0] in "LN" for ch in reply):
        raise ReplyError(f"{what} has no words (only emoji, symbols or punctuation)", "no_words")
    return reply


def normalise(text: str) -> str:
    """Lowercase, every run of characters outside [a-z0-9] as one space, stripped."""
    return _NOT_WORD.sub(" ", text.lower()).strip()


def sentence_key(sentence: str) -> str:
    """A sentence's words in any script, casefolded: equal keys repeat a sentence; an empty key
    is emoji or punctuation alone."""
    return _NOT_LETTER_OR_DIGIT.sub(" ", sentence.casefold()).strip()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where the sentences of ``text`` are: split at terminal punctuation followed by whitespace
    and at line breaks, without the whitespace around them."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        if match.group() == "." and _continues(text, start, end):
            continue
        _add_span(text, start, end, spans)
        start = end
    _add_span(text, start, len(text), spans)
    return spans


def _continues(text: str, start: int, end: int) -> bool:
    """Whether the lone full stop at ``end`` belongs to an abbreviation or a list marker."""
    before = text[start:end]
    if _ABBREVIATION.search(before) or _LIST_MARKER.fullmatch(before.strip()):
        return True
    after = text[end:].lstrip()
    return bool(_BEFORE_NUMBER.search(before)) and after[:1].isdigit()


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    piece = text[start:end]
    start += len(piece) - len(piece.lstrip())
    end -= len(piece) - len(piece.rstrip())
    if start < end:
        spans.append((start, end))


def sentences(text: str) -> list[str]:
    """Split text into sentences at terminal punctuation and line breaks."""
    return [text[a:b] for a, b in sentence_spans(text)]


@dataclass(frozen=True)
class PreparedReply:
    """A reply as the encoder sees it, with what was removed and what must not count."""

    #: The text that is encoded: injected and repeated sentences removed.
    text: str
    #: Character spans of the kept sentences in ``text``.
    sentence_spans: tuple[tuple[int, int], ...]
    #: Character spans of stock phrases in ``text``; their tokens are left out of the pooling.
    stock_spans: tuple[tuple[int, int], ...]
    #: Per kept sentence, the reply's own text it came from (its line breaks and the emoji
    #: joined to it as written): what evidence quotes, so that it can be found in the reply.
    sources: tuple[str, ...]
    #: Sentences removed because they address the scorer.
    injected: tuple[str, ...]
    #: Sentences removed because they repeat an earlier one.
    repeated: int
    #: The reply was longer than MAX_REPLY_CHARS before preparation.
    cut: bool
    #: A greeting, thanks, apology or form of address is present (the floor of service level 2).
    courtesy: bool
    #: Courtesy, or a request's polite form ("please wait"): a cue for the heads, not the floor.
    polite: bool

    @property
    def sentences(self) -> list[str]:
        return [self.text[a:b] for a, b in self.sentence_spans]

    @property
    def empty(self) -> bool:
        return not self.sentence_spans


def prepare(reply: str, rubric: Rubric) -> PreparedReply:
    """Check a reply, drop injected and repeated sentences, and find stock phrases."""
    check_reply(reply)
    cut = len(reply) > MAX_REPLY_CHARS
    kept: list[str] = []
    sources: list[tuple[int, int]] = []
    injected: list[str] = []
    seen: set[str] = set()
    repeated = 0
    # Whether the sentence before was kept: emoji after a dropped sentence go with it.
    after_kept = False
    for start, end in sentence_spans(reply[:MAX_REPLY_CHARS]):
        sentence = reply[start:end]
        if rubric.injection_pattern.search(sentence):
            injected.append(sentence)
            after_kept = False
            continue
        key = sentence_key(sentence)
        if not key:
            # Emoji or punctuation on its own: keep it with the previous sentence's meaning.
            if after_kept:
                kept[-1] = f"{kept[-1]} {sentence}"
                sources[-1] = (sources[-1][0], end)
            continue
        if key in seen:
            repeated += 1
            after_kept = False
            continue
        after_kept = True
        seen.add(key)
        kept.append(sentence)
        sources.append((start, end))
    text = " ".join(kept)
    spans = []
    offset = 0
    for sentence in kept:
        spans.append((offset, offset + len(sentence)))
        offset += len(sentence) + 1
    stock = tuple(m.span() for m in rubric.stock_pattern.finditer(text))
    return PreparedReply(
        text=text,
        sentence_spans=tuple(spans),
        stock_spans=stock,
        sources=tuple(reply[a:b] for a, b in sources),
        injected=tuple(injected),
        repeated=repeated,
        cut=cut,
        courtesy=bool(rubric.courtesy_pattern.search(text)),
        polite=bool(rubric.politeness_pattern.search(text)),
    )


def readable_context(reply: str, context: str) -> str:
    """The customer's message as the scorer reads it: not at all when reply and message are
    each clearly in a different one of the product's languages. The English-first encoder puts a
    reply and its message in two languages far apart whatever they say, so it would take every
    such reply for off context; read alone, the reply is still judged on what it does."""
    if context:
        replied, asked = guess_language(reply), guess_language(context)
        if replied and asked and replied != asked:
            return ""
    return context


def judges_off_context(reply: str, context: str, abstains: Collection[str]) -> bool:
    """Whether the off-context flag may be raised on this reply: only against a message, and not
    when reply or message is clearly in a language the model abstains in (the model card's
    ``off_context_abstains``), one where its relevance judges were measured to be wrong far more
    often than right."""
    if not context:
        return False
    return not abstains or not any(guess_language(t) in abstains for t in (reply, context))


def by_length(texts: Iterable[str]) -> list[str]:
    """Distinct texts shortest first, to batch them with little padding; equal lengths in text
    order, so that the batches (and with them the encoder's last bits) do not depend on the
    order of a set, which changes from one process to the next."""
    return sorted(set(texts), key=lambda text: (len(text), text))
