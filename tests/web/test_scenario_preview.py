"""The studio's scenario preview: the briefing, the script's flow or the modelled customer."""

from __future__ import annotations

import re

import pytest

from tests.core.conftest import VALID
from tests.web.conftest import ROOT, csrf_token

MODELLED = "bank-double-charge-rent"
MODELLED_SOURCE = (ROOT / "scenarios" / f"{MODELLED}.yaml").read_text(encoding="utf-8")


@pytest.fixture
def trainer(logged_in):
    return logged_in("trainer")


def post_draft(client, slug: str, source: str, button: str = "preview", path: str = ""):
    token = csrf_token(client, "/studio/scenarios/new")
    return client.post(
        path or "/studio/scenarios/new",
        data={"slug": slug, "source": source, button: "yes", "csrf_token": token},
    )


def node_order(page: str) -> list[str]:
    return re.findall(r'<li id="node-([a-z_]+)"', page)


def test_a_scripted_version_reads_as_its_flow(client, app, trainer):
    assert post_draft(client, "demo-outage", VALID, button="submit").status_code == 302
    response = client.get("/studio/scenarios/demo-outage/versions/1")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # The trainee's briefing, as the practice page shows it.
    assert "<h2>Internet down</h2>" in page and "Your customer: Dana" in page
    assert "Validate the frustration" in page and "Aim for service level 3 or higher." in page
    # Every reachable node, breadth-first from the start, each branch in words.
    assert node_order(page) == ["opening", "escalated", "resolved"]
    assert "if any of the flags blame, dismissive →" in page
    assert 'if validation ≥ 2 and solution ≥ 2 → <a href="#node-resolved">' in page
    assert "otherwise → the customer stays on this line and presses again" in page
    assert "end: resolved" in page and "end: escalated" in page
    assert "spends their patience (3)" in page and "after 12 replies" in page


def test_a_modelled_version_shows_its_customer(client, trainer):
    page = client.get(f"/studio/scenarios/{MODELLED}/versions/1").get_data(as_text=True)
    assert "The modelled customer" in page and "<h2>The script</h2>" not in page
    assert "Offers that satisfy them" in page
    assert '<tr id="intent-complain">' in page and '<tr id="intent-escalate">' in page
    # Difficulty 3 sets the behaviour: 1.5 - 0.15 * 3 calms, two offers needed.
    assert re.search(r"calm them</td><td>1\.05</td>\s*<td>difficulty 3</td>", page)
    assert re.search(r"before they accept</td><td>2</td>", page)


def test_a_value_the_file_sets_is_shown_as_its_own(client, app, trainer):
    dynamics = "\n  dynamics:\n    calm_rate: 0.5\n  lines:\n"
    source = MODELLED_SOURCE.replace("\n  lines:\n", dynamics, 1)
    response = post_draft(client, MODELLED, source)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(r"calm them</td><td>0\.50</td>\s*<td>the file</td>", page)
    assert re.search(r"inflame them</td><td>1\.15</td>\s*<td>difficulty 3</td>", page)


def test_a_draft_is_previewed_in_the_editor_and_nothing_is_saved(client, app, trainer):
    response = post_draft(client, "demo-outage", VALID)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Preview of this draft" in page
    assert node_order(page) == ["opening", "escalated", "resolved"]
    assert "<h3>Internet down</h3>" in page  # a section of the editor page
    assert "Third day without internet!" in page.split("<textarea")[1]
    assert app.extensions["trainer.scorer"].get().calls == 0  # a preview scores nothing
    assert client.get("/studio/scenarios/demo-outage/versions/1").status_code == 404


def test_an_invalid_draft_gets_its_problems_not_a_preview(client, trainer):
    response = post_draft(client, "demo-outage", VALID.replace("goto: resolved", "goto: nowhere"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "node &#39;nowhere&#39; is not defined" in page
    assert "Preview of this draft" not in page


def test_the_preview_is_in_the_trainers_language(client, trainer):
    page = client.get(f"/studio/scenarios/{MODELLED}/versions/1?lang=id").get_data(as_text=True)
    assert "Pratinjau" in page and "Pelanggan bermodel" in page


def test_an_unknown_version_is_404(client, trainer):
    assert client.get("/studio/scenarios/telco-outage-home-office/versions/9").status_code == 404


def test_the_studio_links_every_version_to_its_preview(client, trainer):
    page = client.get("/studio/").get_data(as_text=True)
    assert 'href="/studio/scenarios/telco-outage-home-office/versions/1">Preview</a>' in page
