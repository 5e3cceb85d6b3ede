"""API v1 reports: an agent's competency scorecard and the attempts export (CSV)."""

from __future__ import annotations

from dataclasses import replace

from flask import Response, g, jsonify, request

from trainer.extensions import db
from trainer.services import audit, scorecards
from trainer.web.api import bp
from trainer.web.api.routes import ApiError, _commit, roles
from trainer.web.reports.routes import TRUE, csv_response


def _filters() -> scorecards.Filters:
    filters, errors = scorecards.parse_filters(request.args)
    if errors:
        raise ApiError(400, "invalid_filter", "; ".join(errors))
    return filters


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/agents/<int:agent_id>/scorecard")
def agent_scorecard(agent_id: int):
    """The same figures as the scorecard page (the same service output), as JSON."""
    info = scorecards.agent_info(agent_id)
    if info is None or not scorecards.may_view(g.user, info):
        # An agent learns nothing about colleagues, not even that they exist.
        if info is None or g.user.role == "agent" or info.role != "agent":
            raise ApiError(404, "not_found", "no such agent")
        raise ApiError(403, "forbidden", "this agent's scorecard is not yours to see")
    filters = _filters()
    card = scorecards.agent_scorecard(info, replace(filters, team_id=None))
    return _no_store(_commit(jsonify(card.to_dict())))


@bp.get("/reports/attempts.csv")
@roles("hr", "trainer")
def attempts_csv():
    filters = scorecards.scope(g.user, _filters())
    texts = request.args.get("texts", "").lower() in TRUE
    rows = scorecards.attempt_rows(filters, texts=texts)
    audit.record(
        "report.export",
        actor=g.user,
        subject="report:attempts.csv",
        ip=request.remote_addr,
        filters=filters.to_dict(),
        rows=len(rows),
        via="api",
        texts=texts,
    )
    db.session.commit()
    columns = [*scorecards.ATTEMPT_COLUMNS, *([scorecards.TEXTS_COLUMN] if texts else [])]
    return csv_response("attempts", columns, rows)
