"""Practice forms."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


def new_key() -> str:
    return uuid.uuid4().hex


class ReplyForm(FlaskForm):
    reply = TextAreaField(_l("Your reply"), validators=[DataRequired()])
    #: One key per rendered form: a double submit of the same form makes one turn.
    key = HiddenField(default=new_key)
    submit = SubmitField(_l("Send"))


class ActionForm(FlaskForm):
    """A button that changes something (start, abandon, retry scoring): CSRF only."""

    submit = SubmitField()


class DisputeForm(FlaskForm):
    comment = TextAreaField(
        _l("What is wrong with this score?"), validators=[DataRequired(), Length(max=2000)]
    )
    submit = SubmitField(_l("Dispute the score"))
