"""Studio forms."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from trainer.core.scenario import SLUG
from trainer.services.replies import MAX_REPLY_CHARS
from trainer.services.scenarios import MAX_UPLOAD_CHARS
from trainer.web.forms import Form

LEVEL_CHOICES = [
    SelectChoice("", _l("machine's")),
    *[SelectChoice(str(i), str(i)) for i in range(4)],
]
SERVICE_CHOICES = [
    SelectChoice("", _l("machine's")),
    *[SelectChoice(str(i), str(i)) for i in range(5)],
]


def optional_int(value):
    return int(value) if value not in (None, "") else None


class ScenarioForm(Form):
    slug = StringField(
        _l("Scenario id (file name)"),
        validators=[
            DataRequired(),
            Regexp(SLUG.pattern, message=_l("lowercase words joined by -")),
        ],
    )
    source = TextAreaField(
        _l("Scenario YAML"), validators=[DataRequired(), Length(max=MAX_UPLOAD_CHARS)]
    )
    inactive = BooleanField(_l("Save without activating it (trainees keep the current version)"))
    submit = SubmitField(_l("Validate and save as a new version"))
    check = SubmitField(_l("Check exemplars"))
    preview = SubmitField(_l("Preview"))


class ReviewForm(Form):
    empathy = SelectField(_l("Empathy"), choices=LEVEL_CHOICES, coerce=optional_int)
    validation = SelectField(_l("Validation"), choices=LEVEL_CHOICES, coerce=optional_int)
    solution = SelectField(_l("Solution focus"), choices=LEVEL_CHOICES, coerce=optional_int)
    service_level = SelectField(_l("Service level"), choices=SERVICE_CHOICES, coerce=optional_int)
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Save review"))


class SettleForm(ReviewForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("accept", _l("Accept (my levels apply)")),
            SelectChoice("reject", _l("Reject")),
        ],
        validators=[DataRequired()],
    )
    submit = SubmitField(_l("Settle dispute"))


class AssignmentForm(Form):
    scenario = SelectField(_l("Scenario"), validators=[DataRequired()])
    target = SelectField(_l("Agent or team"), validators=[DataRequired()])
    mode = SelectField(
        _l("Mode"),
        choices=[
            SelectChoice("practice", _l("practice: feedback after every reply")),
            SelectChoice("certification", _l("certification: feedback at the end, counts for HR")),
        ],
    )
    due_at = DateTimeLocalField(_l("Due"), validators=[DataRequired()], format="%Y-%m-%dT%H:%M")
    max_attempts = IntegerField(
        _l("Attempts allowed (certification)"), validators=[Optional(), NumberRange(1, 20)]
    )
    submit = SubmitField(_l("Assign"))


class TryScorerForm(Form):
    context = TextAreaField(
        _l("What the customer said (optional)"),
        validators=[Optional(), Length(max=MAX_REPLY_CHARS)],
    )
    reply = TextAreaField(
        _l("The agent's reply"), validators=[DataRequired(), Length(max=MAX_REPLY_CHARS)]
    )
    submit = SubmitField(_l("Score it"))
