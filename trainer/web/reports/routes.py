"""Report views: agent scorecards, the team view and CSV exports (thin: parse, query, render).

Scorecards and exports are personal data: every response says ``Cache-Control: no-store``, an
agent sees only their own scorecard, and every export is written to the audit log.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from trainer.extensions import db
from trainer.models import utcnow
from trainer.services import audit, scorecards
from trainer.services.scorecards import AgentInfo, Filters
from trainer.web.access import roles_required
from trainer.web.reports import bp, charts, pdf

#: Who sees the team view and the exports.
VIEWERS = ("hr", "trainer")
TRUE = ("1", "true", "yes", "on")


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _agent_or_abort(agent_id: int) -> AgentInfo:
    info = scorecards.agent_info(agent_id)
    if info is None:
        abort(404)
    if not scorecards.may_view(current_user, info):
        # An agent learns nothing about colleagues, not even that they exist.
        abort(404 if current_user.role == "agent" or info.role != "agent" else 403)
    return info


def _filters() -> tuple[Filters, list[str]]:
    filters, errors = scorecards.parse_filters(request.args)
    return scorecards.scope(current_user, filters), errors


def _charts(subject, ident: str) -> dict:
    return {
        "trend": charts.trend_chart(
            subject.trend, ident=f"{ident}-trend", title=_("Average rubric level per week")
        ),
        "turn_levels": charts.level_bars(
            subject.turn_levels, ident=f"{ident}-turns", title=_("Service level of the replies")
        ),
        "attempt_levels": charts.level_bars(
            subject.attempt_levels,
            ident=f"{ident}-attempts",
            title=_("Service level of the finished attempts"),
        ),
    }


@bp.get("/agents/<int:agent_id>")
@login_required
def agent(agent_id: int):
    return _scorecard_page(_agent_or_abort(agent_id))[0]


def _scorecard_page(info: AgentInfo) -> tuple[str, Filters]:
    """The scorecard page (the PDF renders its print layout) and the filters it applied."""
    filters, errors = scorecards.parse_filters(request.args)
    filters = replace(filters, team_id=None)  # one agent: a team filter means nothing here
    card = scorecards.agent_scorecard(info, filters)
    return render_template(
        "reports/agent.html",
        card=card,
        charts=_charts(card, "agent"),
        errors=errors,
        options=scorecards.filter_options(with_teams=False),
        generated=utcnow(),
        pdf_available=pdf.available(),
    ), filters


@bp.get("/agents/<int:agent_id>/scorecard.pdf")
@login_required
def agent_pdf(agent_id: int):
    """The scorecard page's print layout as a PDF download (audited like the CSV exports)."""
    info = _agent_or_abort(agent_id)
    if not pdf.available():
        abort(503, _("No PDF renderer is installed on this server: print the scorecard page."))
    html, filters = _scorecard_page(info)
    document = pdf.render(html, Path(current_app.static_folder), current_app.static_url_path)
    _record_export(f"user:{info.id}", filters, "web", report="scorecard.pdf")
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        document,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="scorecard-{info.id}-{stamp}.pdf"'},
    )


@bp.get("/teams")
@roles_required(*VIEWERS)
def team():
    filters, errors = _filters()
    sort = request.args.get("sort", "name")
    report = scorecards.team_report(filters, sort)
    locked_team = current_user.role == "trainer" and current_user.team_id is not None
    return render_template(
        "reports/team.html",
        report=report,
        charts=_charts(report, "team"),
        errors=errors,
        options=scorecards.filter_options(with_teams=not locked_team),
        sort_keys=scorecards.SORT_KEYS,
        generated=utcnow(),
    )


def export(name: str, columns, rows: list, filters: Filters, via: str, **details) -> Response:
    """The CSV download, audited (and committed) before it is sent."""
    _record_export(f"report:{name}.csv", filters, via, rows=len(rows), **details)
    return csv_response(name, columns, rows)


def _record_export(subject: str, filters: Filters, via: str, **details) -> None:
    audit.record(
        "report.export",
        actor=current_user,
        subject=subject,
        ip=request.remote_addr,
        filters=filters.to_dict(),
        via=via,
        **details,
    )
    db.session.commit()


def csv_response(name: str, columns, rows: list) -> Response:
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        scorecards.csv_text(columns, rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}-{stamp}.csv"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/agents.csv")
@roles_required(*VIEWERS)
def agents_csv():
    filters, errors = _filters()
    if errors:
        abort(400, "; ".join(errors))
    report = scorecards.team_report(filters, request.args.get("sort", "name"))
    rows = scorecards.agent_csv_rows(report)
    return export("agents", scorecards.AGENT_COLUMNS, rows, filters, "web")


@bp.get("/attempts.csv")
@roles_required(*VIEWERS)
def attempts_csv():
    filters, errors = _filters()
    if errors:
        abort(400, "; ".join(errors))
    texts = request.args.get("texts", "").lower() in TRUE
    rows = scorecards.attempt_rows(filters, texts=texts)
    columns = [*scorecards.ATTEMPT_COLUMNS, *([scorecards.TEXTS_COLUMN] if texts else [])]
    return export("attempts", columns, rows, filters, "web", texts=texts)
