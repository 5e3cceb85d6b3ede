"""Practice views: parse, call the services, commit, render or redirect."""

from __future__ import annotations

import json
from datetime import timedelta

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from trainer.extensions import db
from trainer.models import Assignment, Attempt, Dispute, Turn
from trainer.services import assignments as assignments_service
from trainer.services import data_export, practice, reviews, scenarios
from trainer.services.replies import MAX_REPLY_CHARS, TurnError, score_pending, submit
from trainer.web import error_response, wants_json
from trainer.web.access import roles_required
from trainer.web.params import whole_number
from trainer.web.practice import bp
from trainer.web.practice.forms import ActionForm, DisputeForm, ReplyForm, new_key
from trainer.web.scorer import kit, rubric
from trainer.web.terms import mood_word, sector_name

#: Attempts on one page of a player's history.
HISTORY_PAGE = 50


def trainee_message(
    code: str, fallback: str, *, reason: str | None = None, turn: int | None = None
) -> str:
    """A refusal in the trainee's language; the services' English stays the API's message."""
    if code == "invalid_reply":
        by_reason = {
            "empty": lambda: _("Write a reply before sending it."),
            "no_words": lambda: _("Your reply has no words, only emoji, symbols or punctuation."),
            "invalid_text": lambda: _(
                "Your reply holds characters that are not valid text (half of an emoji, or "
                "bytes that are not UTF-8). Type it again or paste it as plain text."
            ),
        }
        return by_reason[reason]() if reason in by_reason else fallback
    messages = {
        "reply_too_long": lambda: _(
            "A reply can be at most %(n)s characters.", n=format_number(MAX_REPLY_CHARS)
        ),
        "attempt_over": lambda: _("This attempt is over; start a new one."),
        "reply_pending": lambda: _(
            "Your previous reply is saved but not scored yet; it will be scored before you go on."
        ),
        "scoring_unavailable": lambda: _(
            "Your reply is saved (turn %(n)s) but could not be scored right now; it will be "
            "scored as soon as the scorer is back, and you can go on then.",
            n=turn,
        ),
        "nothing_pending": lambda: _("Every reply of this attempt is scored."),
        "dispute_window_closed": lambda: _(
            "Disputes are open for %(n)s days after the reply.",
            n=current_app.config["DISPUTE_WINDOW_DAYS"],
        ),
        "dispute_open": lambda: _("This reply already has an open dispute."),
        "no_attempts_left": lambda: _("No attempts are left for this certification."),
        "retired": lambda: _("This scenario was retired."),
    }
    return messages[code]() if code in messages else fallback


def _turn_message(exc: TurnError) -> str:
    return trainee_message(exc.code, exc.message, reason=exc.reason, turn=exc.turn)


@bp.get("/")
@login_required
def index():
    language = request.args.get("language") or None
    sector = request.args.get("sector") or None
    difficulty = request.args.get("difficulty", type=whole_number)
    standing = request.args.get("progress") or None
    versions = scenarios.playable(language=language, sector=sector, difficulty=difficulty)
    records = practice.scenario_records(current_user)
    if standing in practice.PROGRESS:
        versions = [
            v
            for v in versions
            if practice.progress(records.get(v.slug), v.target_level) == standing
        ]
    return render_template(
        "practice/index.html",
        versions=versions,
        records=records,
        sectors=sorted(scenarios.sectors(), key=sector_name),  # as the reader reads them
        chosen={
            "language": language,
            "sector": sector,
            "difficulty": difficulty,
            "progress": standing,
        },
    )


@bp.get("/scenarios/<slug>")
@login_required
def scenario(slug: str):
    version = scenarios.active_version(slug) or abort(404)
    return render_template(
        "practice/scenario.html",
        version=version,
        scenario=scenarios.scenario_of(version),
        form=ActionForm(),
        can_play=current_user.role in practice.PLAYERS,
        record=practice.scenario_records(current_user, slug).get(slug),
        open_attempt=next(iter(practice.open_practice(current_user, slug)), None),
    )


@bp.post("/scenarios/<slug>/attempts")
@roles_required(*practice.PLAYERS)
def start(slug: str):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    version = scenarios.active_version(slug) or abort(404)
    attempt = practice.start_over(current_user, version)
    db.session.commit()
    return redirect(url_for("practice.attempt", attempt_id=attempt.id))


def _viewable(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        abort(404)
    if not practice.can_view(current_user, attempt):
        abort(404 if current_user.role == "agent" else 403)
    return attempt


def _chat_context(attempt: Attempt) -> dict:
    return {
        "attempt": attempt,
        "scenario": practice.scenario_for(attempt),
        "owner": attempt.user_id == current_user.id,
        "feedback": {t.id: t.response["feedback"] for t in attempt.turns if t.response is not None},
        "pending": next(
            (t for t in attempt.turns if t.score_status in ("pending", "failed")), None
        ),
        "action": ActionForm(),
        "rubric": rubric(),
        "hide_scores": attempt.purpose == "certification" and attempt.status != "done",
        "disputes": {
            d.turn_id: d
            for d in db.session.scalars(
                select(Dispute).join(Turn).where(Turn.attempt_id == attempt.id).order_by(Dispute.id)
            )
        },
        "dispute_form": DisputeForm(formdata=None),
        "max_reply": MAX_REPLY_CHARS,
    }


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    attempt = _viewable(attempt_id)
    return render_template(
        "practice/attempt.html", form=ReplyForm(formdata=None), **_chat_context(attempt)
    )


@bp.post("/attempts/<int:attempt_id>/turns")
@roles_required(*practice.PLAYERS)
def reply(attempt_id: int):
    form = ReplyForm()
    as_json = wants_json()
    if not form.validate_on_submit():
        message = "; ".join(e for errors in form.errors.values() for e in errors)
        if as_json:
            return error_response(400, "invalid_form", message)
        return _rerender(attempt_id, form, message, 400)
    try:
        submitted = submit(attempt_id, current_user, form.reply.data, form.key.data or None, kit())
    except TurnError as exc:
        if as_json:
            return error_response(exc.status, exc.code, _turn_message(exc))
        if exc.status == 404:
            abort(404)
        if exc.code == "scoring_unavailable":
            flash(_turn_message(exc), "error")
            return redirect(url_for("practice.attempt", attempt_id=attempt_id))
        return _rerender(attempt_id, form, _turn_message(exc), exc.status)
    if as_json:
        attempt = db.session.get(Attempt, attempt_id)
        context = _chat_context(attempt)
        new_turns = [t for t in attempt.turns if t.position >= _first_new(attempt, submitted)]
        return jsonify(
            html=render_template("practice/_turns.html", turns=new_turns, **context),
            summary=render_template("practice/_summary.html", **context)
            if attempt.status == "done"
            else None,
            mood=attempt.mood,
            mood_word=mood_word(attempt.mood),
            done=attempt.status == "done",
            key=new_key(),
            response=submitted.response,
        )
    return redirect(url_for("practice.attempt", attempt_id=attempt_id, _anchor="latest"))


def _first_new(attempt: Attempt, submitted) -> int:
    number = submitted.response["turn"]
    return next(t.position for t in attempt.turns if t.number == number)


def _rerender(attempt_id: int, form: ReplyForm, message: str, status: int):
    """The chat page again with the trainee's text still in the box and the reason shown."""
    attempt = _viewable(attempt_id)
    form.key.data = new_key()
    return render_template(
        "practice/attempt.html", form=form, error=message, **_chat_context(attempt)
    ), status


@bp.post("/attempts/<int:attempt_id>/rescore")
@roles_required(*practice.PLAYERS)
def rescore(attempt_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        score_pending(attempt_id, current_user, kit())
    except TurnError as exc:
        if exc.status == 404:
            abort(404)
        flash(_turn_message(exc), "error")
    return redirect(url_for("practice.attempt", attempt_id=attempt_id, _anchor="latest"))


@bp.post("/attempts/<int:attempt_id>/abandon")
@roles_required(*practice.PLAYERS)
def abandon(attempt_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    attempt = practice.locked_attempt(attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    try:
        practice.abandon(attempt)
    except practice.PracticeError as exc:
        flash(trainee_message(exc.code, str(exc)), "error")
    else:
        db.session.commit()
    return redirect(url_for("practice.attempt", attempt_id=attempt_id))


@bp.get("/history")
@login_required
def history():
    before = request.args.get("before", type=whole_number)
    attempts, older = practice.attempt_page(current_user, before=before, limit=HISTORY_PAGE)
    return render_template(
        "practice/history.html",
        attempts=attempts,
        newest=url_for("practice.history") if before is not None else None,
        older=url_for("practice.history", before=older) if older is not None else None,
    )


@bp.get("/my-data.json")
@login_required
def my_data():
    """Everything stored about the user, to download (the right of access)."""
    document = data_export.personal_data(current_user, ip=request.remote_addr)
    db.session.commit()
    response = current_app.response_class(
        json.dumps(document, ensure_ascii=False, indent=1), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/attempts/<int:attempt_id>/turns/<int:number>/dispute")
@roles_required(*practice.PLAYERS)
def dispute(attempt_id: int, number: int):
    form = DisputeForm()
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    turn = reviews.agent_turn(attempt, number) or abort(404)
    if not form.validate_on_submit():
        flash("; ".join(e for errors in form.errors.values() for e in errors), "error")
    else:
        window = timedelta(days=current_app.config["DISPUTE_WINDOW_DAYS"])
        try:
            reviews.open_dispute(turn, current_user, form.comment.data, window)
        except reviews.ReviewError as exc:
            flash(trainee_message(exc.code, str(exc)), "error")
        else:
            db.session.commit()
            flash(_("Your dispute is with the trainers."), "info")
    return redirect(url_for("practice.attempt", attempt_id=attempt_id, _anchor=f"turn-{number}"))


@bp.get("/assignments")
@roles_required("agent")
def assignments():
    return render_template(
        "practice/assignments.html",
        statuses=assignments_service.assignments_for(current_user),
        action=ActionForm(),
    )


@bp.post("/assignments/<int:assignment_id>/attempts")
@roles_required("agent")
def start_assignment(assignment_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    assignment = db.session.get(Assignment, assignment_id) or abort(404)
    try:
        attempt = assignments_service.start_assigned(current_user, assignment)
    except assignments_service.AssignmentError as exc:
        if exc.status == 404:
            abort(404)
        flash(trainee_message(exc.code, str(exc)), "error")
        return redirect(url_for("practice.assignments"))
    db.session.commit()
    return redirect(url_for("practice.attempt", attempt_id=attempt.id))
