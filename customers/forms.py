from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import User
from crm.selectors import may_own_records
from crm.widgets import FastSelect
from customers.models import Activity, Contact, Customer
from customers.pool import can_manage_pool

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CustomerForm(forms.ModelForm):
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody: put it in the public pool"),
        widget=FastSelect,
    )
    website = forms.URLField(label=_("website"), required=False, assume_scheme="https")
    confirm_duplicate = forms.BooleanField(
        label=_("I checked: this is a different customer, create it anyway"), required=False
    )

    class Meta:
        model = Customer
        fields = [
            "kind",
            "name",
            "code",
            "level",
            "status",
            "industry",
            "scale",
            "source",
            "region",
            "phone",
            "email",
            "website",
            "wechat",
            "qq",
            "address",
            "birthday",
            "business_status",
            "competitors",
            "language",
            "is_locked",
            "notes",
        ]
        widgets = {"birthday": DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk:
            # Ownership moves through claim / transfer / release, each logged.
            del self.fields["owner"]
            del self.fields["confirm_duplicate"]
            self.fields["code"].disabled = True
        else:
            self.fields["owner"].queryset = User.objects.editable_by(user).filter(
                may_own_records(), is_active=True
            )
            self.fields["owner"].initial = user.pk
        if not can_manage_pool(user):
            # A lock keeps a customer out of the pool rules: a manager's decision, not the rep's.
            del self.fields["is_locked"]
        self.duplicates = []

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "title", "phone", "email", "wechat", "birthday", "is_primary", "notes"]
        widgets = {"birthday": DATE, "notes": forms.Textarea(attrs={"rows": 2})}


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["kind", "outcome", "occurred_at", "contact", "summary", "next_follow_up_on"]
        widgets = {
            "occurred_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "next_follow_up_on": DATE,
            "summary": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = customer.contacts.all()
        self.fields["occurred_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("A follow-up cannot be logged in the future."))
        return value

    def clean_next_follow_up_on(self):
        value = self.cleaned_data["next_follow_up_on"]
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("The next follow-up must be today or later."))
        return value
