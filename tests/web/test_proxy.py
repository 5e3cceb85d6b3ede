"""Behind a reverse proxy: the client's address reaches the rate limits and the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.web.conftest import csrf_token
from trainer.extensions import db
from trainer.models import AuditEvent


def failed_login(client, address: str):
    forwarded = {"X-Forwarded-For": address}
    token = csrf_token(client)
    return client.post(
        "/auth/login",
        data={"email": "nobody@example.org", "password": "wrong!", "csrf_token": token},
        headers=forwarded,
    )


def audited_addresses(app) -> list[str | None]:
    with app.app_context():
        query = select(AuditEvent.ip).where(AuditEvent.action == "user.login_failed")
        return list(db.session.scalars(query.order_by(AuditEvent.id)))


@pytest.mark.parametrize("app_config", [{"TRAINER_PROXY_COUNT": 1, "LOGIN_RATE_LIMIT": "2/minute"}])
def test_a_trusted_proxy_passes_on_the_clients_address(app, client):
    statuses = [failed_login(client, "203.0.113.7").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    # Another client behind the same proxy is not locked out by the first one.
    assert failed_login(client, "198.51.100.2").status_code == 200
    assert audited_addresses(app) == ["203.0.113.7", "203.0.113.7", "198.51.100.2"]


@pytest.mark.parametrize("app_config", [{"LOGIN_RATE_LIMIT": "2/minute"}])
def test_without_a_proxy_the_header_is_not_believed(app, client):
    assert [failed_login(client, f"203.0.113.{n}").status_code for n in range(3)] == [
        200,
        200,
        429,
    ]
    assert audited_addresses(app) == ["127.0.0.1", "127.0.0.1"]
