"""The base of every form: Flask-WTF's, without ids on the fields that no label points at."""

from flask_wtf import FlaskForm

#: Field types that nothing labels: one page holds many such forms (a button per row), and the
#: id each would get from its field name ("csrf_token", "submit") would repeat on the page.
UNLABELLED = frozenset({"CSRFTokenField", "HiddenField", "SubmitField"})


class Form(FlaskForm):
    class Meta(FlaskForm.Meta):
        def render_field(self, field, render_kw):
            if (
                field.type in UNLABELLED
                and "id" not in render_kw
                and "id" not in (field.render_kw or {})
            ):
                render_kw = {**render_kw, "id": False}
            return super().render_field(field, render_kw)
