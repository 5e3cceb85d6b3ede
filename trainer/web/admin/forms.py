"""Administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from trainer.models import ROLES
from trainer.web.forms import Form
from trainer.web.terms import ROLE_NAMES

NO_TEAM = ""


class UserForm(Form):
    """A user's name, role and team; the team choices are set by the view."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role, ROLE_NAMES[role]) for role in ROLES],
        default="agent",
    )
    team = SelectField(_l("Team"), choices=[], default=NO_TEAM)
    active = BooleanField(_l("May log in and use API tokens"))
    submit = SubmitField(_l("Save"))

    def with_teams(self, names: list[str]) -> "UserForm":
        self.team.choices = [
            SelectChoice(NO_TEAM, _l("(no team)")),
            *[SelectChoice(name, name) for name in names],
        ]
        return self


class NewUserForm(UserForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    active = None  # a new user is active
    submit = SubmitField(_l("Create the user"))


class TokenForm(Form):
    label = StringField(_l("What the token is for"), validators=[Length(max=80)])
    submit = SubmitField(_l("Issue an API token"))


class EraseForm(Form):
    confirm = StringField(
        _l("Type the e-mail address to confirm"), validators=[DataRequired(), Length(max=254)]
    )
    submit = SubmitField(_l("Erase this person's data"))


class TeamForm(Form):
    name = StringField(_l("Team name"), validators=[DataRequired(), Length(max=80)])
    submit = SubmitField(_l("Create the team"))


class TeamRenameForm(TeamForm):
    submit = SubmitField(_l("Rename"))


class CohortForm(Form):
    """A cohort's accounts as a CSV file, uploaded or pasted."""

    file = FileField(_l("CSV file"))
    text = TextAreaField(_l("Or paste the CSV here"), validators=[Length(max=200_000)])
    invite = BooleanField(
        _l("E-mail each person a link to choose their password (it works for 7 days)"),
        default=True,
    )
    submit = SubmitField(_l("Create the accounts"))
