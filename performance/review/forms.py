"""Forms of the review pages: the list's filters and one form per action."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Team
from crm.selectors import team_tree
from performance.models import EvaluationPeriod, Scorecard

GRADES = [("S", "S"), ("A", "A"), ("B", "B"), ("C", "C"), ("D", "D")]


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Team) -> str:
        return obj.indented_name


class ScorecardFilterForm(forms.Form):
    period = forms.ModelChoiceField(
        label=_("Period"),
        queryset=EvaluationPeriod.objects.order_by("-start", "kind"),
        required=False,
        empty_label=_("Any"),
        to_field_name="key",
    )
    team = TeamChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("Any")
    )
    status = forms.ChoiceField(
        label=_("Step"), choices=[("", _("Any")), *Scorecard.Status.choices], required=False
    )
    grade = forms.ChoiceField(label=_("Grade"), choices=[("", _("Any")), *GRADES], required=False)

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if viewer is not None:
            teams = team_tree(viewer=viewer)
            self.fields["team"].queryset = Team.objects.filter(pk__in=[t.pk for t in teams])


def _metric_name(key: str) -> str:
    from performance.metrics import get_metric

    try:
        return str(get_metric(key).name)
    except KeyError:
        return key


class AdjustForm(forms.Form):
    """One points + comment pair per defined item of the scorecard."""

    def __init__(self, *args, scorecard: Scorecard, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.scorecard = scorecard
        limit = scorecard.scheme.adjustment_limit
        self.rows = []
        self.names: dict[str, str] = {}
        for item in items:
            if item.score is None:
                continue
            points = forms.DecimalField(
                label=_("Adjustment (points)"),
                max_digits=7,
                decimal_places=2,
                required=False,
                initial=item.adjustment or None,
                min_value=-limit,
                max_value=limit,
                help_text=_("Between -%(limit)s and +%(limit)s.") % {"limit": limit},
            )
            comment = forms.CharField(
                label=_("Why"),
                required=False,
                initial=item.adjustment_comment,
                max_length=1000,
            )
            self.fields[f"points_{item.metric}"] = points
            self.fields[f"comment_{item.metric}"] = comment
            self.rows.append((item, f"points_{item.metric}", f"comment_{item.metric}"))
            self.names[item.metric] = _metric_name(item.metric)

    def clean(self):
        data = super().clean()
        for _item, points_name, comment_name in self.rows:
            points = data.get(points_name) or Decimal(0)
            if points and not (data.get(comment_name) or "").strip():
                self.add_error(comment_name, _("Say why: a comment is required for an adjustment."))
        return data

    def adjustments(self) -> dict[str, tuple[Decimal, str]]:
        data = self.cleaned_data
        out = {}
        for item, points_name, comment_name in self.rows:
            points = data.get(points_name) or Decimal(0)
            comment = (data.get(comment_name) or "").strip()
            if points != item.adjustment or (points and comment != item.adjustment_comment):
                out[item.metric] = (points, comment)
        return out

    def bound_rows(self):
        return [(self.names[item.metric], self[p], self[c]) for item, p, c in self.rows]


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].required = required


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason of the appeal"), widget=forms.Textarea(attrs={"rows": 3})
    )


class RecomputationRequestForm(forms.Form):
    reason = forms.CharField(label=_("Why recompute"), widget=forms.Textarea(attrs={"rows": 2}))


class RecomputationDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("Say why the recomputation is rejected."))
        return data
