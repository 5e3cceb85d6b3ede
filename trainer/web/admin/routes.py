"""Administration views (admins only): parse, call the services, commit, render."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from trainer.extensions import db
from trainer.models import ROLES, ApiToken, Team, User
from trainer.scoring import model_directory
from trainer.scoring.card import read_card
from trainer.services import accounts, audit, cohort, erasure
from trainer.services.scoring import scores_by_model
from trainer.web.access import roles_required
from trainer.web.admin import bp
from trainer.web.admin.forms import (
    NO_TEAM,
    CohortForm,
    EraseForm,
    NewUserForm,
    TeamForm,
    TeamRenameForm,
    TokenForm,
    UserForm,
)
from trainer.web.auth.routes import password_policy
from trainer.web.letters import can_mail, password_letter, send_letters
from trainer.web.params import whole_number
from trainer.web.practice.forms import ActionForm
from trainer.web.scorer import provider


@bp.before_request
@roles_required("admin")
def _admins_only() -> None:
    """Every page here is for admins (logged in, else the login page; another role: 403)."""


def _team_names() -> list[str]:
    return [team.name for team, _members in accounts.teams()]


def _user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _team(team_id: int) -> Team:
    return db.session.get(Team, team_id) or abort(404)


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _account_message(exc: accounts.AccountError) -> str:
    """The refusal in the admin's language; the services' English stays the CLI's."""
    p = exc.params
    messages = {
        "not_an_email": lambda: _("%(email)s is not an e-mail address", email=p["email"]),
        "user_exists": lambda: _("a user %(email)s already exists", email=p["email"]),
        "name_required": lambda: _("a user needs a name"),
        "last_admin": lambda: _("this is the last active admin: make someone else admin first"),
        "erased": lambda: _("this account was erased: it cannot be changed or used again"),
        "team_name": lambda: _("a team needs a name of 1 to 80 characters"),
        "team_exists": lambda: _("a team %(name)s already exists", name=p["name"]),
        "team_has_assignments": lambda: ngettext(
            "team %(name)s was given %(num)d assignment and is kept for their history",
            "team %(name)s was given %(num)d assignments and is kept for their history",
            p["n"],
            name=p["name"],
        ),
        "team_has_members": lambda: ngettext(
            "team %(name)s still has %(num)d user: move them to another team first",
            "team %(name)s still has %(num)d users: move them to another team first",
            p["n"],
            name=p["name"],
        ),
        "password_short": lambda: _("a password needs at least %(n)s characters", n=p["n"]),
        "already_erased": lambda: _("this account was erased already"),
        "own_account": lambda: _("you cannot erase your own account"),
        "still_active": lambda: _("deactivate the account first: erasing cannot be undone"),
        "bad_role": lambda: _(
            "role must be one of %(roles)s, not %(role)s", roles=p["roles"], role=p["role"]
        ),
        "no_team": lambda: _("there is no team %(name)s: create it first", name=p["name"]),
        "name_long": lambda: _("a name can be at most %(n)s characters", n=p["n"]),
        "cohort_columns": lambda: _(
            "the first line must name the columns email, role, name, team (missing: %(missing)s)",
            missing=p["missing"],
        ),
        "cohort_unknown_column": lambda: _(
            "unknown column %(column)s (known: email, role, name, team)", column=p["column"]
        ),
        "cohort_values": lambda: _(
            "%(n)s values for %(columns)s columns", n=p["n"], columns=p["columns"]
        ),
        "cohort_empty": lambda: _("the file holds no accounts"),
        "cohort_csv": lambda: _("this line is not CSV text"),
        "cohort_too_large": lambda: _(
            "one file can hold at most %(n)s accounts: split it", n=p["n"]
        ),
        "cohort_duplicate": lambda: _(
            "%(email)s is on line %(line)s already", email=p["email"], line=p["line"]
        ),
    }
    return messages[exc.code]() if exc.code in messages else str(exc)


def _secret(user: User, kind: str, secret: str):
    """The page that shows a new password or API token once: only its hash is stored."""
    return _no_store(render_template("admin/secret.html", user=user, kind=kind, secret=secret))


def _no_store(page: str):
    """A page that holds secrets shown once: no cache may keep it."""
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def users():
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    team = request.args.get("team", type=whole_number)
    search = (request.args.get("q") or "").strip()[:100]
    return render_template(
        "admin/users.html",
        rows=accounts.users(role=role, team_id=team, search=search),
        teams=accounts.teams(),
        roles=ROLES,
        chosen={"role": role, "team": team, "q": search},
    )


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm().with_teams(_team_names())
    if form.validate_on_submit():
        try:
            user, password = accounts.create_user(
                form.email.data,
                form.role.data,
                password_policy(),
                name=form.name.data.strip(),
                team=form.team.data or None,
                actor=current_user,
            )
        except accounts.AccountError as exc:
            form.email.errors.append(_account_message(exc))
        else:
            db.session.commit()
            return _secret(user, "password", password)
    return render_template("admin/new_user.html", form=form), (422 if form.errors else 200)


@bp.route("/users/import", methods=["GET", "POST"])
def import_users():
    form = CohortForm()
    problems: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        raw = upload.read() if upload else (form.text.data or "").encode()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            problems = [_("The file is not UTF-8 text: save the sheet as CSV UTF-8.")]
        else:
            try:
                made = cohort.import_cohort(text, password_policy(), current_user)
            except cohort.CohortError as exc:
                problems = [
                    _("line %(n)s: %(message)s", n=p.line, message=_account_message(p.error))
                    for p in exc.problems
                ]
            else:
                return _imported(made, invite=form.invite.data and can_mail())
    status = 422 if problems or form.errors else 200
    return render_template("admin/import_users.html", form=form, problems=problems), status


def _imported(made: list[tuple[User, str]], *, invite: bool):
    """Commit the new accounts, then e-mail the invitations when asked; the page shows the
    password of every account whose invitation was not sent (or of all, without invitations)."""
    letters = [password_letter(user, "invitation", current_user) for user, _pw in made if invite]
    db.session.commit()
    unsent = {f.letter.to for f in send_letters(letters)} if invite else None
    rows = [
        (
            user.email,
            user.name,
            user.role,
            user.team.name if user.team else "",
            password if unsent is None or user.email in unsent else None,
        )
        for user, password in made
    ]
    page = render_template("admin/imported.html", rows=rows, invited=invite, unsent=unsent)
    return _no_store(page)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    user = _user(user_id)
    form = UserForm(data=None if request.method == "POST" else _form_data(user)).with_teams(
        _team_names()
    )
    if form.validate_on_submit():
        try:
            changes = accounts.update_user(
                user,
                name=form.name.data,
                role=form.role.data,
                team=form.team.data or None,
                active=form.active.data,
                actor=current_user,
            )
        except accounts.AccountError as exc:
            db.session.rollback()
            form.role.errors.append(_account_message(exc))
        else:
            db.session.commit()
            flash(_("Saved.") if changes else _("Nothing changed."), "info")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template(
        "admin/user.html",
        user=user,
        form=form,
        tokens=accounts.tokens_of(user),
        token_form=TokenForm(formdata=None),
        erase_form=EraseForm(formdata=None),
        action=ActionForm(),
        events=audit.events(subject=f"user:{user.id}", limit=20),
    ), (422 if form.errors else 200)


def _form_data(user: User) -> dict:
    return {
        "name": user.name,
        "role": user.role,
        "team": user.team.name if user.team else NO_TEAM,
        "active": user.active,
    }


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    _checked()
    user = _user(user_id)
    try:
        password = accounts.reset_password(user, password_policy(), current_user)
    except accounts.AccountError as exc:
        flash(_account_message(exc), "error")
        return redirect(url_for("admin.user", user_id=user.id))
    db.session.commit()
    return _secret(user, "password", password)


@bp.post("/users/<int:user_id>/password-link")
def email_password_link(user_id: int):
    """E-mail the user a link to choose a new password; the old one works until they do."""
    _checked()
    user = _user(user_id)
    if not can_mail():
        abort(404)
    if user.erased_at is not None or not user.active:
        flash(_("This account may not log in: a link would not work."), "error")
        return redirect(url_for("admin.user", user_id=user.id))
    letter = password_letter(user, "reset", current_user)
    db.session.commit()
    if send_letters([letter]):
        flash(
            _("The e-mail to %(email)s could not be sent (the log says why).", email=user.email),
            "error",
        )
    else:
        flash(
            _("A link to choose a new password was e-mailed to %(email)s.", email=user.email),
            "info",
        )
    return redirect(url_for("admin.user", user_id=user.id))


@bp.post("/users/<int:user_id>/tokens")
def issue_token(user_id: int):
    user = _user(user_id)
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("The token was not issued: %(why)s", why=_form_problem(form)), "error")
        return redirect(url_for("admin.user", user_id=user.id))
    try:
        token = accounts.issue_token(user, (form.label.data or "").strip(), actor=current_user)
    except accounts.AccountError as exc:
        flash(_account_message(exc), "error")
        return redirect(url_for("admin.user", user_id=user.id))
    db.session.commit()
    return _secret(user, "token", token)


@bp.post("/users/<int:user_id>/erase")
def erase_user(user_id: int):
    user = _user(user_id)
    form = EraseForm()
    if not form.validate_on_submit():
        flash(_("Nothing was erased: %(why)s", why=_form_problem(form)), "error")
    elif accounts.normalise_email(form.confirm.data) != user.email:
        flash(_("Nothing was erased: the e-mail address typed is not this user's."), "error")
    else:
        try:
            done = erasure.erase_user(user, current_user)
        except erasure.ErasureError as exc:
            db.session.rollback()
            flash(_("Nothing was erased: %(why)s", why=_account_message(exc)), "error")
        else:
            db.session.commit()
            flash(
                _(
                    "Erased: %(replies)s replies in %(attempts)s attempts, %(disputes)s "
                    "dispute comments and %(events)s audit entries. The scores stay, anonymous.",
                    replies=done.replies,
                    attempts=done.attempts,
                    disputes=done.disputes,
                    events=done.audit_events,
                ),
                "info",
            )
    return redirect(url_for("admin.user", user_id=user.id))


def _form_problem(form) -> str:
    return "; ".join(str(e) for errors in form.errors.values() for e in errors)


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    _checked()
    row = db.session.get(ApiToken, token_id) or abort(404)
    if accounts.revoke_token(row, current_user):
        db.session.commit()
        flash(_("Token %(id)s is revoked.", id=row.id), "info")
    else:
        flash(_("Token %(id)s was already revoked.", id=row.id), "info")
    return redirect(url_for("admin.user", user_id=row.user_id))


@bp.route("/teams", methods=["GET", "POST"])
def teams():
    form = TeamForm()
    if form.validate_on_submit():
        try:
            team = accounts.create_team(form.name.data, current_user)
        except accounts.AccountError as exc:
            form.name.errors.append(_account_message(exc))
        else:
            db.session.commit()
            flash(_("Team %(name)s is created.", name=team.name), "info")
            return redirect(url_for("admin.teams"))
    return render_template("admin/teams.html", form=form, rows=accounts.teams()), (
        422 if form.errors else 200
    )


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
def team(team_id: int):
    team = _team(team_id)
    form = TeamRenameForm(data=None if request.method == "POST" else {"name": team.name})
    if form.validate_on_submit():
        try:
            renamed = accounts.rename_team(team, form.name.data, current_user)
        except accounts.AccountError as exc:
            form.name.errors.append(_account_message(exc))
        else:
            db.session.commit()
            flash(_("Saved.") if renamed else _("Nothing changed."), "info")
            return redirect(url_for("admin.team", team_id=team.id))
    return render_template(
        "admin/team.html",
        team=team,
        form=form,
        action=ActionForm(),
        assignments=accounts.team_assignments(team),
        events=audit.events(subject=f"team:{team.id}", limit=20),
    ), (422 if form.errors else 200)


@bp.post("/teams/<int:team_id>/delete")
def delete_team(team_id: int):
    _checked()
    team = _team(team_id)
    try:
        accounts.delete_team(team, current_user)
    except accounts.AccountError as exc:
        flash(_("The team was not deleted: %(why)s", why=_account_message(exc)), "error")
        return redirect(url_for("admin.team", team_id=team.id))
    db.session.commit()
    flash(_("Team %(name)s is deleted.", name=team.name), "info")
    return redirect(url_for("admin.teams"))


@bp.get("/audit")
def audit_log():
    action = request.args.get("action") or None
    subject = (request.args.get("subject") or "").strip()[:80] or None
    actor = request.args.get("actor", type=whole_number)
    before = request.args.get("before", type=whole_number)
    events = audit.events(action=action, actor_id=actor, subject=subject, before=before)
    older = events[-1].id if len(events) == audit.PAGE_SIZE else None
    return render_template(
        "admin/audit.html",
        events=events,
        actions=audit.actions(),
        chosen={"action": action, "subject": subject, "actor": actor},
        actor=db.session.get(User, actor) if actor else None,
        older=older,
    )


@bp.get("/model")
def model():
    directory = model_directory(current_app.config["TRAINER_MODEL_DIR"])
    try:
        card, problem = read_card(directory), None
    except (OSError, ValueError) as exc:
        card, problem = None, str(exc)
    loaded = provider().loaded
    return render_template(
        "admin/model.html",
        directory=directory,
        card=card,
        problem=problem,
        loaded_version=getattr(loaded, "model_version", None),
        usage=scores_by_model(),
    )
