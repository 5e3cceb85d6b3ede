"""A real Chromium logs in, plays a scenario to the end with good replies and reads the summary."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import START_BUTTON
from trainer.core.scenario import load_scenario

SLUG = "telco-outage-home-office"
SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / f"{SLUG}.yaml"
SCREENSHOT = Path("/tmp/browser_summary.png")
MAX_REPLIES = 10
REPLY_TIMEOUT_MS = 30_000
#: A first reply that discharges the duty and no more, so the feedback offers a better one.
FLAT = "Thank you for contacting us. I have noted the issue on your account."


def normalise(text: str) -> str:
    return " ".join(text.split())


def check_mood(page) -> int:
    value = page.eval_on_selector("#mood-meter", "m => m.value")
    assert 0 <= value <= 10, value
    assert value == int(value), value
    mood = int(value)
    assert normalise(page.inner_text("#mood-value")) == f"{mood}/10"
    word = "angry" if mood >= 7 else "tense" if mood >= 4 else "calm"
    assert page.inner_text("#mood-word") == word
    last = page.locator("li.turn.customer").last.get_attribute("data-mood")
    assert last == str(mood), (last, mood)
    return mood


@pytest.mark.browser
@pytest.mark.slow
def test_agent_plays_a_scenario_to_the_end_and_reads_the_summary(browser, live_server):
    base_url = live_server.base_url
    email, password = live_server.accounts["agent"]
    scenario = load_scenario(SCENARIO)
    by_line = {normalise(node.customer): node for node in scenario.script.nodes.values()}

    context = browser.new_context(base_url=base_url, locale="en-US")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        page.goto("/auth/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base_url}/practice/")
        links = page.locator("ul.scenarios li a")
        assert links.count() >= 1
        assert page.locator(f"ul.scenarios li a[href='/practice/scenarios/{SLUG}']").count() == 1

        page.goto(f"/practice/scenarios/{SLUG}")
        page.get_by_role("button", name=START_BUTTON).click()
        page.wait_for_url(re.compile(r"/practice/attempts/\d+$"))
        page.wait_for_selector("#reply-form")
        page.evaluate("window.__marker = 1")
        moods = [check_mood(page)]

        summary = page.locator("#summary section.summary")
        replies = 0
        while summary.count() == 0:
            assert replies < MAX_REPLIES, f"no summary after {MAX_REPLIES} replies"
            customers = page.locator("li.turn.customer")
            seen = customers.count()
            line = normalise(customers.last.locator("p").inner_text())
            assert line in by_line, f"unknown customer line: {line!r}"
            page.fill("textarea#reply", FLAT if replies == 0 else by_line[line].exemplars[0])
            page.click("#send")
            page.wait_for_function(
                "n => document.querySelectorAll('li.turn.customer').length > n",
                arg=seen,
                timeout=REPLY_TIMEOUT_MS,
            )
            replies += 1
            assert page.evaluate("window.__marker") == 1, "the reply reloaded the page"
            assert page.locator("li.turn.agent").count() == replies
            moods.append(check_mood(page))

        assert page.locator("#reply-form").count() == 0
        assert page.evaluate("window.__marker") == 1
        first = page.locator("li.turn.agent").first.locator("details.feedback")
        assert "An example of a better reply" in first.text_content()
        exemplars = {normalise(e) for node in by_line.values() for e in node.exemplars}
        offered = page.locator("li.turn.agent details.feedback blockquote").all_text_contents()
        assert offered and all(normalise(t) in exemplars for t in offered)
        # Older feedback is folded away; the latest stays open.
        assert page.locator("li.turn.agent").last.locator("details.feedback").is_visible()
        assert page.locator("details.feedback[open]").count() == 1

        assert "resolved" in summary.locator(".outcome").inner_text()
        level = normalise(page.inner_text("#attempt-level"))
        assert re.match(r"^[3-9]\b", level), level
        csat = summary.locator("dt", has_text="CSAT").locator("xpath=following-sibling::dd")
        assert re.fullmatch(r"[1-5](\.\d+)?/5", normalise(csat.inner_text()))
        assert moods[-1] < moods[0], moods
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(re.compile(r"/auth/login"))
        assert page.locator("input[name=password]").count() == 1
    finally:
        context.close()
