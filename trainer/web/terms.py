"""The domain's terms in the reader's language: outcomes, purposes, the ladder, the rubric."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from trainer import language
from trainer.core.simulator import mood_band
from trainer.vocabulary import SERVICE_LEVELS
from trainer.web.scorer import rubric

#: A scenario's language by its own name, as the language switch names it.
LANGUAGES = {"en": "English", "id": "Bahasa Indonesia"}
#: A language named in a sentence of the reader's language (marked in trainer.language).
LANGUAGE_NAMES = {code: _l(name) for code, name in language.LANGUAGE_NAMES.items()}
#: How an attempt ended (the API and CSV keep the stored value).
OUTCOMES = {"resolved": _l("resolved"), "escalated": _l("escalated"), "abandoned": _l("abandoned")}
#: What an attempt is for (an assignment's mode too).
PURPOSES = {
    "practice": _l("practice"),
    "certification": _l("certification"),
    "playtest": _l("play-test"),
}
#: What a user does here (the API, the CSV and the CLI keep the stored value).
ROLE_NAMES = {
    "agent": _l("agent"),
    "trainer": _l("trainer"),
    "hr": _l("HR"),
    "admin": _l("admin"),
}
#: Where a dispute of a score stands (the API keeps the stored value).
DISPUTE_STATUSES = {"open": _l("open"), "accepted": _l("accepted"), "rejected": _l("rejected")}
#: The service ladder's names (marked for the catalogue in trainer.vocabulary).
SERVICE_LEVEL_NAMES = {level: _l(name) for level, name in SERVICE_LEVELS.items()}


#: The sectors of the shipped scenarios and the corpus, by name; a scenario file may name
#: another (``[a-z_]`` only), which is then shown as it is spelled.
SECTOR_NAMES = {
    "airline": _l("airline"),
    "automotive": _l("automotive"),
    "banking": _l("banking"),
    "ecommerce": _l("e-commerce"),
    "education": _l("education"),
    "ewallet": _l("e-wallet"),
    "fintech": _l("fintech"),
    "food_delivery": _l("food delivery"),
    "government": _l("public services"),
    "hospital": _l("hospital"),
    "hotel": _l("hotel"),
    "insurance": _l("insurance"),
    "logistics": _l("logistics"),
    "retail": _l("retail"),
    "saas": _l("software (SaaS)"),
    "telco": _l("telecoms"),
    "utilities": _l("utilities"),
}


def sector_name(sector: str) -> str:
    """A scenario's sector in the reader's language."""
    return str(SECTOR_NAMES.get(sector, sector.replace("_", " ")))


#: How the customer feels, by the simulator's mood band (7-10, 4-6, 0-3; studio's preview too).
MOOD_WORDS = {"high": _l("angry"), "mid": _l("tense"), "low": _l("calm")}


def mood_word(mood: int) -> str:
    """The customer's mood in a word, so that "0/10" reads as calm, not as the worst."""
    return str(MOOD_WORDS[mood_band(mood)])


def scale_title(name: str) -> str:
    """A rubric dimension's title (or "service level"); the rubric's titles are in the
    catalogue (rubric_messages.py)."""
    if name == "service_level":
        return _("Service level")
    return _(rubric().dimension(name).title)


def level_descriptor(name: str, level: int) -> str:
    return _(rubric().dimension(name).levels[level])
