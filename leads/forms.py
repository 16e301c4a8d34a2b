from __future__ import annotations

import datetime as dt

from django import forms
from django.core.validators import MinValueValidator
from django.forms import inlineformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import User
from crm.selectors import may_own_records
from crm.widgets import FastSelect
from customers.models import Activity, Customer
from customers.pool import assignable_users
from leads.models import AssignmentRule, Lead, LeadSource, RuleMember


def owner_choices(user: User):
    """Who `user` may make a lead's owner: the active people they may change (a rep: only
    themselves)."""
    return (
        User.objects.editable_by(user)
        .filter(may_own_records(), is_active=True)
        .order_by("username")
    )


class LeadForm(forms.ModelForm):
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Assign automatically by the rules"),
        widget=FastSelect,
    )

    class Meta:
        model = Lead
        fields = ["name", "company", "title", "phone", "email", "source", "region", "industry"]
        fields += ["notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["owner"]  # owners change through assignment, each logged
        else:
            self.fields["owner"].queryset = owner_choices(user)

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean(self):
        data = super().clean()
        if not (data.get("phone") or data.get("email")):
            raise forms.ValidationError(_("Give a phone number or an email address."))
        return data


class LeadActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["kind", "outcome", "occurred_at", "summary", "next_follow_up_on"]
        widgets = {
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "next_follow_up_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "summary": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("A follow-up cannot be logged in the future."))
        return value


class DisqualifyForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=Lead.DisqualifyReason.choices)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class ConvertForm(forms.Form):
    """Convert: a new customer (fields prefilled from the lead) or merge into a duplicate."""

    merge_into = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=Customer.objects.none(),
        required=False,
        empty_label=_("Create a new customer"),
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label=_("Customer name"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Customer.Kind.choices)
    industry = forms.ChoiceField(
        label=_("Industry"), choices=[("", "—"), *Customer.Industry.choices], required=False
    )
    create_opportunity = forms.BooleanField(label=_("Also create an opportunity"), required=False)
    opportunity_name = forms.CharField(label=_("Opportunity name"), max_length=200, required=False)
    opportunity_amount = forms.DecimalField(
        label=_("Expected amount"),
        max_digits=14,
        decimal_places=2,
        required=False,
        validators=[MinValueValidator(0)],
    )

    def __init__(self, *args, merge_choices, offer_opportunity: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merge_into"].queryset = merge_choices
        if not offer_opportunity:
            for name in ("create_opportunity", "opportunity_name", "opportunity_amount"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        if not data.get("merge_into") and not (data.get("name") or "").strip():
            self.add_error("name", _("Give the new customer a name."))
        return data


class AssignForm(forms.Form):
    to_user = forms.ModelChoiceField(
        label=_("Assign to"),
        queryset=User.objects.none(),
        widget=FastSelect(attrs={"class": "form-select form-select-sm w-auto"}),
    )
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, by: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = assignable_users(by)


class MultiChoiceJSON(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class RuleForm(forms.ModelForm):
    sources = MultiChoiceJSON(
        label=_("Sources"),
        choices=Lead.Source.choices,
        required=False,
        help_text=_("None ticked: any source."),
    )
    industries = MultiChoiceJSON(
        label=_("Industries"),
        choices=Customer.Industry.choices,
        required=False,
        help_text=_("None ticked: any industry."),
    )
    regions = forms.CharField(
        label=_("Areas"),
        required=False,
        help_text=_("Comma-separated, e.g. 上海, 浙江. Empty: any area."),
    )

    class Meta:
        model = AssignmentRule
        fields = ["name", "priority", "method", "sla_hours", "is_active", "sources"]
        fields += ["regions", "industries"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["regions"] = ", ".join(self.instance.regions or [])

    def clean_regions(self) -> list[str]:
        raw = self.cleaned_data["regions"] or ""
        parts = [p.strip() for p in raw.replace("，", ",").split(",")]
        return sorted({p for p in parts if p})


class RuleMemberForm(forms.ModelForm):
    weight = forms.IntegerField(
        label=_("Weight"), min_value=1, max_value=100, initial=1, widget=forms.NumberInput()
    )

    class Meta:
        model = RuleMember
        fields = ["user", "weight", "capacity", "is_active"]
        widgets = {"user": FastSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            User.objects.filter(may_own_records(), is_active=True)
            .select_related("team")
            .order_by("username")
        )


class BaseMemberFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            user = form.cleaned_data.get("user")
            if user is None:
                continue
            if user.pk in seen:
                form.add_error("user", _("This rep is already a member of the rule."))
            seen.add(user.pk)


MemberFormSet = inlineformset_factory(
    AssignmentRule,
    RuleMember,
    form=RuleMemberForm,
    formset=BaseMemberFormSet,
    extra=3,
    can_delete=True,
)


class LeadSourceForm(forms.ModelForm):
    class Meta:
        model = LeadSource
        fields = ["name", "source", "rate_limit"]


class DryRunForm(forms.Form):
    count = forms.IntegerField(label=_("Next leads"), min_value=1, max_value=200, initial=10)
    use_queue = forms.BooleanField(label=_("Use the leads waiting in the queue"), required=False)
