"""Scenario-file problems in the trainer's language; the services and the CLI keep English."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import gettext as _

from trainer.authored import Problem
from trainer.web.terms import LANGUAGE_NAMES

#: Per problem code, its message in the reader's language from the problem's params. Field names,
#: node ids and values are the file's own and stay as written.
MESSAGES: dict[str, Callable[..., str]] = {
    "file_too_large": lambda limit, **_p: _("file is larger than %(limit)s bytes", limit=limit),
    "not_utf8": lambda **_p: _("file is not UTF-8 text"),
    "empty": lambda **_p: _("file is empty"),
    "yaml_syntax": lambda detail, **_p: _("invalid YAML: %(detail)s", detail=detail),
    "yaml_alias": lambda **_p: _("YAML aliases are not allowed"),
    "yaml_anchor": lambda **_p: _("YAML anchors are not allowed"),
    "yaml_tag": lambda tag, **_p: _("YAML tags are not allowed (%(tag)s)", tag=tag),
    "not_text_nul": lambda **_p: _("this text holds a NUL character, which is not text"),
    "not_text_surrogate": lambda **_p: _(
        "this text holds a lone surrogate (half an emoji), which is not text"
    ),
    "schema.missing": lambda **_p: _("required field is missing"),
    "schema.extra_forbidden": lambda **_p: _("unknown field"),
    "schema.int_type": lambda **_p: _("must be a whole number"),
    "schema.float_type": lambda **_p: _("must be a number"),
    "schema.bool_type": lambda **_p: _("must be true or false"),
    "schema.string_type": lambda **_p: _("must be text"),
    "schema.list_type": lambda **_p: _("must be a list"),
    "schema.dict_type": lambda **_p: _("must be a mapping (key: value)"),
    "schema.literal_error": lambda expected, **_p: _("must be %(expected)s", expected=expected),
    "schema.string_pattern_mismatch": lambda pattern, **_p: _(
        "must match the pattern %(pattern)s", pattern=pattern
    ),
    "schema.string_too_short": lambda min_length, **_p: _(
        "must be at least %(n)s character(s) long", n=min_length
    ),
    "schema.string_too_long": lambda max_length, **_p: _(
        "must be at most %(n)s characters long", n=max_length
    ),
    "schema.too_short": lambda min_length, **_p: _("needs at least %(n)s item(s)", n=min_length),
    "schema.too_long": lambda max_length, **_p: _("takes at most %(n)s item(s)", n=max_length),
    "schema.greater_than_equal": lambda ge, **_p: _("must be at least %(n)s", n=ge),
    "schema.less_than_equal": lambda le, **_p: _("must be at most %(n)s", n=le),
    "schema.greater_than": lambda gt, **_p: _("must be more than %(n)s", n=gt),
    "schema.less_than": lambda lt, **_p: _("must be less than %(n)s", n=lt),
    "schema.scripted_needs_script": lambda **_p: _(
        "a scripted scenario needs `script` and no `model`"
    ),
    "schema.model_needs_model": lambda **_p: _(
        "a modelled scenario (mode: model) needs `model` and no `script`"
    ),
    "schema.objectives_distinct": lambda **_p: _("objectives must be distinct"),
    "start_undefined": lambda node, **_p: _("start node '%(node)s' is not defined", node=node),
    "opening_mood": lambda mood, **_p: _(
        "the opening line's mood must be the customer's starting mood (%(mood)s)", mood=mood
    ),
    "node_undefined": lambda node, **_p: _("node '%(node)s' is not defined", node=node),
    "end_leads_on": lambda **_p: _("an end node cannot lead anywhere"),
    "node_needs_exemplar": lambda **_p: _("node needs at least one exemplar reply"),
    "node_needs_branches": lambda **_p: _("node needs branches or otherwise"),
    "node_unreachable": lambda node, **_p: _("node '%(node)s' cannot be reached", node=node),
    "no_end": lambda outcome, **_p: _(
        "no reachable end node with end: %(outcome)s", outcome=outcome
    ),
    "intent_lines": lambda intent, n, **_p: _(
        "intent '%(intent)s' needs at least %(n)s line(s)", intent=intent, n=n
    ),
    "unknown_slot": lambda slot, known, **_p: _(
        "unknown slot {%(slot)s} (known: %(known)s)", slot=slot, known=known
    ),
    "intent_exemplar": lambda intent, **_p: _(
        "intent '%(intent)s' needs an exemplar reply", intent=intent
    ),
    "opening_slots": lambda **_p: _("the opening line cannot use slots"),
    "wrong_language": lambda found, language, **_p: _(
        "this text is in %(found)s, but the scenario's language is %(language)s",
        found=LANGUAGE_NAMES[found],
        language=LANGUAGE_NAMES[language],
    ),
    "id_mismatch": lambda id, name, **_p: _(
        "id '%(id)s' must match the file name '%(name)s'", id=id, name=name
    ),
}

#: pydantic's other names for the same mistake.
MESSAGES.update(
    {
        "schema.int_parsing": MESSAGES["schema.int_type"],
        "schema.int_from_float": MESSAGES["schema.int_type"],
        "schema.float_parsing": MESSAGES["schema.float_type"],
        "schema.bool_parsing": MESSAGES["schema.bool_type"],
        "schema.model_type": MESSAGES["schema.dict_type"],
        "schema.model_attributes_type": MESSAGES["schema.dict_type"],
    }
)


def describe(problem: Problem) -> str:
    """``file:line: message`` in the reader's language; a problem without a translation (a rarer
    schema error) keeps its English message."""
    message = MESSAGES.get(problem.code)
    if message is None:
        return str(problem)
    try:
        text = message(**problem.params)
    except TypeError:  # a param the message names is missing: say it as the service did
        return str(problem)
    where = problem.params.get("where")
    if problem.code.startswith("schema.") and where:
        text = f"{where}: {text}"
    return f"{problem.path}:{problem.line}: {text}"
