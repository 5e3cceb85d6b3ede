"""Practice forms."""

import uuid

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from trainer.web.forms import Form


def new_key() -> str:
    return uuid.uuid4().hex


class ReplyForm(Form):
    reply = TextAreaField(_l("Your reply"), validators=[DataRequired()])
    #: One key per rendered form: a double submit of the same form makes one turn.
    key = HiddenField(default=new_key)
    submit = SubmitField(_l("Send"))


class ActionForm(Form):
    """A button that changes something (start, abandon, retry scoring): CSRF only."""

    submit = SubmitField()


class DisputeForm(Form):
    comment = TextAreaField(
        _l("What is wrong with this score?"), validators=[DataRequired(), Length(max=2000)]
    )
    submit = SubmitField(_l("Dispute the score"))
