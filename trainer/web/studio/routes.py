"""Studio views (trainers; agreement also for HR): parse, call the services, commit, render."""

from __future__ import annotations

from datetime import UTC

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from trainer.authored import AuthoredFileError
from trainer.extensions import db
from trainer.models import Assignment, Attempt, Dispute, Team, User
from trainer.services import assignments, calibration, practice, reviews, scenarios, scorecards
from trainer.services.replies import MAX_REPLY_CHARS
from trainer.services.scoring import ScoringUnavailable
from trainer.vocabulary import DIMENSIONS
from trainer.web.access import roles_required
from trainer.web.letters import assignment_letter, can_mail, send_after
from trainer.web.params import whole_number
from trainer.web.practice.forms import ActionForm
from trainer.web.scorer import exemplar_report, provider, rubric
from trainer.web.studio import bp
from trainer.web.studio.forms import (
    AssignmentForm,
    ReviewForm,
    ScenarioForm,
    SettleForm,
    TryScorerForm,
)
from trainer.web.studio.problems import describe


@bp.get("/")
@roles_required("trainer")
def index():
    rows = {slug: scenarios.versions_of(slug) for slug in scenarios.all_slugs()}
    return render_template("studio/index.html", rows=rows, action=ActionForm())


@bp.route("/scenarios/new", methods=["GET", "POST"])
@bp.route("/scenarios/<slug>/versions/<int:number>/edit", methods=["GET", "POST"])
@roles_required("trainer")
def edit(slug: str | None = None, number: int | None = None):
    form = ScenarioForm()
    if request.method == "GET" and slug is not None:
        row = scenarios.version(slug, number) or abort(404)
        form.slug.data, form.source.data = row.slug, row.source
    problems, report, shown, status = [], None, None, 200
    if form.validate_on_submit():
        try:
            draft = scenarios.draft(form.source.data, f"{form.slug.data}.yaml")
        except AuthoredFileError as exc:
            problems, status = exc.problems, 422
        else:
            if form.preview.data:
                shown = scenarios.preview(draft)
            elif form.check.data:
                try:
                    report = exemplar_report(draft)
                except ScoringUnavailable:
                    status = 503
            else:
                row = scenarios.add_version(
                    draft, form.source.data, actor=current_user, activate=not form.inactive.data
                )
                db.session.commit()
                if row is None:
                    flash(_("Nothing changed: this content is already a version."), "info")
                elif row.active:
                    flash(_("Saved as version %(v)s and activated.", v=row.version), "info")
                else:
                    flash(_("Saved as version %(v)s, not active yet.", v=row.version), "info")
                return redirect(url_for("studio.index"))
    return render_template(
        "studio/edit.html",
        form=form,
        problems=[describe(p) for p in problems],
        lines=(form.source.data or "").splitlines(),
        bad_lines={p.line for p in problems},
        checked=report is not None or status == 503,
        report=report,
        shown=shown,
    ), status


def _version(slug: str, number: int):
    return scenarios.version(slug, number) or abort(404)


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.post("/scenarios/<slug>/versions/<int:number>/activate")
@roles_required("trainer")
def activate(slug: str, number: int):
    _checked()
    scenarios.activate(_version(slug, number), current_user)
    db.session.commit()
    flash(_("Version %(v)s of %(s)s is active.", v=number, s=slug), "info")
    return redirect(url_for("studio.index"))


@bp.post("/scenarios/<slug>/retire")
@roles_required("trainer")
def retire(slug: str):
    _checked()
    if not scenarios.versions_of(slug):
        abort(404)
    scenarios.retire(slug, current_user)
    db.session.commit()
    flash(_("%(s)s is retired: no new attempts.", s=slug), "info")
    return redirect(url_for("studio.index"))


@bp.post("/scenarios/<slug>/versions/<int:number>/playtest")
@roles_required("trainer")
def playtest(slug: str, number: int):
    _checked()
    attempt = practice.start_attempt(current_user, _version(slug, number))
    attempt.purpose = "playtest"
    db.session.commit()
    return redirect(url_for("practice.attempt", attempt_id=attempt.id))


@bp.get("/scenarios/<slug>/versions/<int:number>")
@roles_required("trainer")
def preview(slug: str, number: int):
    row = _version(slug, number)
    return render_template(
        "studio/preview.html",
        version=row,
        preview=scenarios.preview(scenarios.scenario_of(row)),
        action=ActionForm(),
    )


@bp.get("/scenarios/<slug>/versions/<int:number>/exemplars")
@roles_required("trainer")
def exemplars(slug: str, number: int):
    row = _version(slug, number)
    try:
        report = exemplar_report(scenarios.scenario_of(row))
    except ScoringUnavailable:
        return render_template("studio/exemplars.html", version=row, report=None), 503
    return render_template("studio/exemplars.html", version=row, report=report)


@bp.route("/scorer", methods=["GET", "POST"])
@roles_required("trainer", "hr")
def try_scorer():
    form = TryScorerForm()
    if request.method == "GET":
        # The exemplar check links here with an exemplar and its line, to try a rewrite.
        form.reply.data = request.args.get("reply", "")[:MAX_REPLY_CHARS]
        form.context.data = request.args.get("context", "")[:MAX_REPLY_CHARS]
    result = None
    status = 200
    if form.validate_on_submit():
        try:
            result = provider().score(form.reply.data, form.context.data or "")
        except ScoringUnavailable:
            status = 503
        except ValueError as exc:  # the reply is not one (empty, only emoji)
            form.reply.errors.append(str(exc))
            status = 422
    elif form.errors:
        status = 422
    return render_template(
        "studio/scorer.html",
        form=form,
        result=result,
        fb=practice.explain(result, rubric()) if result else None,
        unavailable=status == 503,
    ), status


@bp.get("/scenarios/<slug>/diff")
@roles_required("trainer")
def diff(slug: str):
    a = _version(slug, request.args.get("a", type=whole_number) or 0)
    b = _version(slug, request.args.get("b", type=whole_number) or 0)
    return render_template("studio/diff.html", a=a, b=b, lines=scenarios.diff(a, b))


def _reviewable(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id) or abort(404)
    if not reviews.may_review(current_user, attempt):
        abort(403)
    return attempt


@bp.get("/reviews")
@roles_required("trainer")
def queue():
    team = request.args.get("team", type=whole_number)
    if current_user.team_id is not None:
        team = current_user.team_id
    chosen = {
        "team": team,
        "scenario": request.args.get("scenario") or None,
        "low_confidence": request.args.get("low_confidence") == "1",
        "disputed": request.args.get("disputed") == "1",
    }
    result = reviews.review_queue(
        team_id=team or None,
        slug=chosen["scenario"],
        only_low=chosen["low_confidence"],
        only_disputed=chosen["disputed"],
        page=request.args.get("page", type=whole_number) or 1,
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "studio/queue.html",
        result=result,
        newer=url_for("studio.queue", **args, page=result.page - 1) if result.page > 1 else None,
        older=url_for("studio.queue", **args, page=result.page + 1) if result.has_next else None,
        options=scorecards.filter_options(),
        chosen=chosen,
    )


@bp.get("/attempts/<int:attempt_id>")
@roles_required("trainer")
def review_attempt(attempt_id: int):
    attempt = _reviewable(attempt_id)
    turns = [t for t in attempt.turns if t.speaker == "agent"]
    return render_template(
        "studio/review.html",
        attempt=attempt,
        turns=turns,
        effective={t.id: reviews.effective(t) for t in turns},
        disputes={t.id: reviews.disputes_of(t) for t in turns},
        low={t.id for t in turns if reviews.low_confidence(t)},
        form=ReviewForm(formdata=None),
        settle=SettleForm(formdata=None),
        dimensions=DIMENSIONS,
    )


@bp.post("/attempts/<int:attempt_id>/turns/<int:number>/review")
@roles_required("trainer")
def review_turn(attempt_id: int, number: int):
    attempt = _reviewable(attempt_id)
    turn = reviews.agent_turn(attempt, number) or abort(404)
    form = ReviewForm()
    if not form.validate_on_submit():
        flash("; ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("studio.review_attempt", attempt_id=attempt_id))
    levels = {d: getattr(form, d).data for d in DIMENSIONS if getattr(form, d).data is not None}
    try:
        reviews.review_turn(turn, current_user, levels, form.service_level.data, form.reason.data)
    except reviews.ReviewError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Turn %(n)s reviewed.", n=number), "info")
    return redirect(
        url_for("studio.review_attempt", attempt_id=attempt_id, _anchor=f"turn-{number}")
    )


@bp.post("/disputes/<int:dispute_id>")
@roles_required("trainer")
def settle(dispute_id: int):
    dispute = db.session.get(Dispute, dispute_id) or abort(404)
    attempt = _reviewable(dispute.turn.attempt_id)
    form = SettleForm()
    if not form.validate_on_submit():
        flash("; ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("studio.review_attempt", attempt_id=attempt.id))
    levels = {d: getattr(form, d).data for d in DIMENSIONS if getattr(form, d).data is not None}
    try:
        reviews.settle_dispute(
            dispute,
            current_user,
            form.decision.data == "accept",
            form.reason.data,
            levels,
            form.service_level.data,
        )
    except reviews.ReviewError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Dispute settled."), "info")
    return redirect(url_for("studio.review_attempt", attempt_id=attempt.id))


@bp.get("/agreement")
@roles_required("trainer", "hr")
def agreement():
    report = calibration.agreement_report()
    return render_template(
        "studio/agreement.html",
        report=report,
        scales=calibration.SCALES,
        titles=scenarios.titles(list(report["scenarios"])),
    )


def _assignment_form() -> AssignmentForm:
    form = AssignmentForm()
    form.scenario.choices = [SelectChoice(v.slug, v.title) for v in scenarios.playable()]
    agents = select(User).where(User.role == "agent", User.active.is_(True)).order_by(User.name)
    teams = select(Team).order_by(Team.name)
    if current_user.team_id is not None:
        agents = agents.where(User.team_id == current_user.team_id)
        teams = teams.where(Team.id == current_user.team_id)
    form.target.choices = [
        *[
            SelectChoice(f"team:{t.id}", f"{_('Team')}: {t.name}")
            for t in db.session.scalars(teams)
        ],
        *[
            SelectChoice(f"user:{u.id}", f"{u.name} <{u.email}>")
            for u in db.session.scalars(agents)
        ],
    ]
    return form


@bp.route("/assignments", methods=["GET", "POST"])
@roles_required("trainer")
def assignment_list():
    form = _assignment_form()
    if form.validate_on_submit():
        kind, _sep, target_id = form.target.data.partition(":")
        target = db.session.get(User if kind == "user" else Team, int(target_id))
        try:
            assignment = assignments.assign(
                current_user,
                form.scenario.data,
                form.mode.data,
                form.due_at.data.replace(tzinfo=UTC),
                user=target if kind == "user" else None,
                team=target if kind == "team" else None,
                max_attempts=form.max_attempts.data,
            )
        except assignments.AssignmentError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            response = redirect(url_for("studio.assignment_list"))
            if not can_mail():
                flash(_("Assigned."), "info")
                return response
            version = scenarios.active_version(assignment.scenario_slug)
            agents = assignments.agents_of(assignment)
            flash(
                ngettext(
                    "Assigned; %(num)d agent is told by e-mail.",
                    "Assigned; %(num)d agents are told by e-mail.",
                    len(agents),
                ),
                "info",
            )
            letters = [assignment_letter(agent, assignment, version) for agent in agents]
            return send_after(response, letters)
    query = select(Assignment).order_by(Assignment.due_at.desc())
    if current_user.team_id is not None:
        query = query.where(Assignment.trainer_id == current_user.id)
    rows = db.session.scalars(query).all()
    return render_template(
        "studio/assignments.html",
        form=form,
        rows=rows,
        titles=scenarios.titles(sorted({a.scenario_slug for a in rows})),
        progress=assignments.progress(rows),
    )
