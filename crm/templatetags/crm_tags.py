from django import forms, template
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join

from crm.widgets import FastSelect

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **changes) -> str:
    """The current query string with `changes` applied: keeps filters and search across pages."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.filter
def filter_field(bound):
    """A field of a list's filter bar with the markup of crispy-forms' Bootstrap 5 field
    (label, widget with its classes, errors), built in Python.

    `as_crispy_field` renders each field through a dozen nested templates and each widget
    through Django's widget templates: on a list with 13 filters that was a quarter of the
    page's CPU (py-spy under the load test, docs/performance.md). Filter bars need none of
    crispy's layout features; plain inputs and selects are written here directly (the same
    HTML), any other widget still goes through its templates."""
    widget = bound.field.widget
    is_select = isinstance(widget, forms.Select)
    kind = f"{type(widget).__name__.lower()} {'form-select' if is_select else 'form-control'}"
    extra = {}
    if bound.errors:
        kind += " is-invalid"
        extra = {"aria-invalid": "true", "aria-describedby": f"{bound.auto_id}_error"}
    classes = widget.attrs.get("class", "").split()
    extra["class"] = " ".join(classes + [c for c in kind.split() if c not in classes])
    error_html = (
        format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            bound.auto_id,
            format_html_join(
                "",
                '<p id="error_{}_{}"><strong>{}</strong></p>',
                ((i, bound.auto_id, e) for i, e in enumerate(bound.errors, 1)),
            ),
        )
        if bound.errors
        else ""
    )
    help_html = (
        format_html('<div class="form-text">{}</div>', bound.help_text) if bound.help_text else ""
    )
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label">{}</label>{}{}{}</div>',
        bound.auto_id,
        bound.id_for_label,
        bound.label,
        _filter_widget(bound, extra),
        error_html,
        help_html,
    )


def _filter_widget(bound, extra: dict) -> str:
    widget = bound.field.widget
    # Fixed choices without groups (a model's choices would run their query twice).
    plain_select = (
        type(widget) is forms.Select
        and not isinstance(widget.choices, ModelChoiceIterator)
        and not any(isinstance(label, list | tuple) for _value, label in widget.choices)
    )
    if type(widget) not in (forms.TextInput, forms.DateInput, forms.NumberInput) and not (
        plain_select
    ):
        return bound.as_widget(attrs=extra)
    attrs = bound.build_widget_attrs(extra, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    if plain_select:
        return FastSelect.render(widget, bound.html_name, bound.value(), attrs)
    final = {"type": widget.input_type, **widget.build_attrs(widget.attrs, attrs)}
    final["name"] = bound.html_name
    value = widget.format_value(bound.value())
    if value is not None:
        final["value"] = value
    return format_html("<input{}>", flatatt(final))
