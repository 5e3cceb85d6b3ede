"""A real Chromium: an admin creates an account, issues it a token, its owner chooses their own
password, then the admin takes its access away."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

NEW_EMAIL = "browser.agent@example.org"


def log_in(context, base_url: str, email: str, password: str, lands_on: str):
    page = context.new_page()
    page.goto("/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}{lands_on}")
    return page


def me_status(base_url: str, token: str) -> int:
    request = urllib.request.Request(
        f"{base_url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response)["email"] == NEW_EMAIL
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.browser
@pytest.mark.slow
def test_admin_creates_a_user_issues_a_token_and_takes_access_away(browser, live_server):
    base_url = live_server.base_url
    admins = browser.new_context(base_url=base_url, locale="en-US")
    agents = browser.new_context(base_url=base_url, locale="en-US")
    for context in (admins, agents):
        context.set_default_timeout(15_000)
    try:
        admin = log_in(admins, base_url, *live_server.accounts["admin"], lands_on="/admin/")
        admin.get_by_role("link", name="New user").first.click()
        admin.fill("input[name=email]", NEW_EMAIL)
        admin.fill("input[name=name]", "Browser Agent")
        admin.select_option("select[name=role]", "agent")
        admin.get_by_role("button", name="Create the user").click()
        password = admin.inner_text("code.secret").strip()
        assert len(password) >= 10

        admin.get_by_role("link", name="Back to the user").click()
        admin.fill("input[name=label]", "browser test")
        admin.get_by_role("button", name="Issue an API token").click()
        token = admin.inner_text("code.secret").strip()
        assert me_status(base_url, token) == 200

        # The generated password has been on the admin's screen: the agent's own comes first.
        agent = log_in(agents, base_url, NEW_EMAIL, password, lands_on="/auth/password")
        assert "Choose your own password first" in agent.inner_text("main")
        agent.fill("input[name=current]", password)
        agent.fill("input[name=new]", "my own browser password")
        agent.fill("input[name=confirm]", "my own browser password")
        agent.get_by_role("button", name="Change password").click()
        agent.wait_for_url(f"{base_url}/practice/")

        admin.get_by_role("link", name="Back to the user").click()
        admin.uncheck("input[name=active]")
        admin.get_by_role("button", name="Save").click()
        assert "Saved." in admin.inner_text("main")

        agent.goto("/practice/history")
        assert "/auth/login" in agent.url
        assert me_status(base_url, token) == 401
    finally:
        admins.close()
        agents.close()
