"""The login form is rate limited per client address."""

from __future__ import annotations

import pytest

from tests.web.conftest import login


@pytest.fixture
def app_config():
    return {"LOGIN_RATE_LIMIT": "3 per minute"}


def test_login_is_rate_limited(client, make_user):
    user = make_user("agent")
    statuses = [login(client, user, "wrong password!").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert login(client, user).status_code == 429
