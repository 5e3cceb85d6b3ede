"""The Indonesian interface: a complete, compiled catalog, and the locale chosen per request.

After changing a UI string, from the repository root:

    .venv/bin/pybabel extract -F trainer/translations/babel.cfg -k _l -k lazy_gettext -k N_ \
        -o trainer/translations/messages.pot .
    .venv/bin/pybabel update -i trainer/translations/messages.pot -d trainer/translations
    (translate the new or fuzzy entries of trainer/translations/id/LC_MESSAGES/messages.po)
    .venv/bin/pybabel compile -d trainer/translations
"""

from __future__ import annotations

import io
import re

import pytest
from babel.messages import frontend
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from tests.web.conftest import ROOT, login
from trainer.scoring.rubric import load_rubric
from trainer.vocabulary import DIMENSIONS, FLAGS
from trainer.web.terms import sector_name

TRANSLATIONS = ROOT / "trainer" / "translations"
PO = TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.mo"
#: The keywords of `pybabel extract -k _l -k lazy_gettext -k N_`: the defaults, the lazy forms and
#: the marker of names in trainer.vocabulary.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


def _po():
    with PO.open("rb") as f:
        return read_po(f, locale="id")


def _texts(value) -> tuple[str, ...]:
    """A message's id or string as a tuple: plural forms come as several."""
    return (value,) if isinstance(value, str) else tuple(value)


def _messages(catalog) -> dict:
    return {_texts(m.id): _texts(m.string) for m in catalog}


def _extracted() -> dict[str, list[str]]:
    """msgid -> where it is used, extracted as `pybabel extract` does with babel.cfg."""
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with (TRANSLATIONS / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse(f)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def test_compiled_catalog_is_current():
    compiled = io.BytesIO()
    write_mo(compiled, _po())
    compiled.seek(0)
    with MO.open("rb") as f:
        committed = _messages(read_mo(f))
    assert committed == _messages(read_mo(compiled)), (
        "messages.mo is stale: run `.venv/bin/pybabel compile -d trainer/translations`"
    )


def test_every_ui_string_has_an_indonesian_translation():
    extracted = _extracted()
    assert len(extracted) > 100, "the extraction found almost nothing: is babel.cfg right?"
    catalog = _po()
    untranslated = {
        msgid: where
        for msgid, where in extracted.items()
        if msgid not in catalog or not all(_texts(catalog[msgid].string)) or catalog[msgid].fuzzy
    }
    assert not untranslated, f"translate these in {PO.relative_to(ROOT)}: {untranslated}"


def test_the_rubrics_feedback_texts_are_extracted():
    rubric = load_rubric()
    dimensions = [rubric.dimension(name) for name in DIMENSIONS]
    shown = {d.title for d in dimensions} | {d.tip for d in dimensions}
    shown |= {text for d in dimensions for text in d.levels.values()}
    shown |= {rubric.flag(name).explain for name in FLAGS}
    extracted = _extracted()
    assert not shown - set(extracted)
    # Each from its own line of the rubric, so a translator can find it.
    assert "rubrics/flags.yaml:8" in extracted[rubric.flag("blame").explain]
    # Questions and patterns are not shown to anyone: not in the catalogue.
    assert rubric.dimension("empathy").question not in extracted


def test_translations_keep_their_placeholders():
    for message in _po():
        if not message.id:
            continue
        names = set(PLACEHOLDER.findall(_texts(message.id)[-1]))
        for string in _texts(message.string):
            assert set(PLACEHOLDER.findall(string)) == names, message.id
            # Jinja's gettext %-formats every string, with or without variables.
            string % dict.fromkeys(names, 1)


def test_english_is_the_default(client):
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Masuk" not in html


def test_accept_language_selects_indonesian(client):
    html = client.get("/auth/login", headers={"Accept-Language": "id-ID,id;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="id">' in html
    assert "Masuk" in html
    assert "Kata sandi" in html
    assert "Log in" not in html


def test_the_language_links_are_remembered_in_the_session(client):
    html = client.get("/auth/login?lang=id").get_data(as_text=True)
    assert "Masuk" in html
    assert 'href="/auth/login?lang=en"' in html
    later = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="id">' in later
    assert "Masuk" in later
    # The choice wins over the browser's header too, both ways.
    english = client.get("/auth/login?lang=en", headers={"Accept-Language": "id"})
    assert "Log in" in english.get_data(as_text=True)
    html = client.get("/auth/login", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Masuk" not in html


def test_a_language_chosen_on_a_redirect_is_remembered(client):
    # "/" only redirects to the login page: no text is translated there, yet the choice holds.
    assert client.get("/?lang=id").status_code == 302
    assert '<html lang="id">' in client.get("/auth/login").text


def test_an_unknown_lang_is_ignored(client):
    html = client.get("/auth/login?lang=fr", headers={"Accept-Language": "id"}).get_data(
        as_text=True
    )
    assert '<html lang="id">' in html


@pytest.mark.parametrize("path", ["/practice/", "/practice/history"])
def test_practice_pages_in_indonesian(client, logged_in, path):
    logged_in("agent")
    html = client.get(path, headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert '<html lang="id">' in html
    for label in ("Skenario", "Riwayat saya", "Penugasan", "Kartu skor saya", "Keluar"):
        assert f">{label}<" in html, label
    assert "My history" not in html
    assert "Log out" not in html


def test_roles_are_named_in_the_readers_language(app, client, logged_in, make_user):
    logged_in("agent")
    assert "Test agent · agen</span>" in client.get("/practice/?lang=id").text  # the header
    admin = app.test_client()
    login(admin, make_user("admin"))
    html = admin.get("/admin/?lang=id").text
    assert "<td>agen</td>" in html and '<option value="hr" >HR</option>' in html
    # The option's value stays the stored role, as the API and the CSV give it.
    assert '<option value="trainer" >pelatih</option>' in html


def test_sectors_are_named_in_the_readers_language(app, client, logged_in):
    logged_in("agent")
    html = client.get("/practice/?lang=id").text
    assert '<span class="tag">perbankan</span>' in html
    # The filter's value stays the sector as the scenario files spell it.
    assert '<option value="banking" >perbankan</option>' in html
    html = client.get("/practice/scenarios/kartu-atm-terblokir?lang=id").text
    assert '<span class="tag">perbankan</span>' in html
    with app.test_request_context("/?lang=id"):
        # A sector no shipped scenario has is shown as its file spells it.
        assert sector_name("pet_insurance") == "pet insurance"
