"""Widgets for long choice lists."""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class FastSelect(forms.Select):
    """A <select> rendered in Python rather than through one template per option.

    Django renders every option through the widget templates, which costs ~0.25 ms an option: a
    filter listing a thousand people took longer than every query of the page together
    (docs/performance.md). Same HTML, no per-option templates; no option groups.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        # As Django's Select: no value selects the empty option.
        values = value if isinstance(value, list | tuple) else [value]
        selected = {"" if v is None else str(v) for v in values}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (
                    key,
                    " selected" if key in selected else "",
                    label,
                )
                for key, label in (
                    (str(v) if v is not None else "", lbl) for v, lbl in self.choices
                )
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)
