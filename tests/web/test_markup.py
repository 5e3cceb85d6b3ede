"""The markup check every web test's client runs can fail: it finds what browsers repair."""

import re

from tests.web.markup import markup_problems


def test_a_label_inside_a_label_is_found():
    html = '<form><label><label for="e">E-mail</label> <input id="e"></label></form>'
    assert markup_problems(html) == ["line 1: <label> inside <label>"]


def test_an_id_used_twice_is_found():
    html = '<form><input type="hidden" id="csrf_token"></form><form><input id="csrf_token"></form>'
    assert markup_problems(html) == ['id "csrf_token" used 2 times']


def test_omitted_end_tags_and_sibling_forms_are_fine():
    html = "<ul><li>one<li>two</ul><form><p>a<p>b</form><form><button>x</button></form>"
    assert markup_problems(html) == []


def test_the_login_page_is_well_formed(client):
    # Its fields used to be rendered as <label><label for=...>E-mail</label> <input></label>.
    assert markup_problems(client.get("/auth/login").get_data(as_text=True)) == []


def test_every_page_names_its_icon(client):
    # Without one, browsers ask for /favicon.ico and log a 404 on every page.
    page = client.get("/auth/login").get_data(as_text=True)
    href = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', page).group(1)
    with client.get(href) as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert icon.get_data(as_text=True).startswith("<svg")
