from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.models import User
from crm.widgets import FastSelect
from customers.models import Customer
from service import selectors
from service.models import CareRule, FlowStep, ServiceFlow, Ticket, TicketEvent


class TicketForm(forms.ModelForm):
    """Open a ticket. From a customer's page the customer is fixed; from the service pages it is
    given by its code (a select of every customer would not scale)."""

    customer_code = forms.CharField(label=_("Customer code"), max_length=32)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Nobody yet: put it in the queue"),
        widget=FastSelect,
    )

    class Meta:
        model = Ticket
        fields = ["type", "channel", "priority", "contact", "summary", "description", "assignee"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, user: User, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.customer = customer
        self.fields["assignee"].queryset = selectors.service_staff()
        if customer is not None:
            del self.fields["customer_code"]
            self.fields["contact"].queryset = customer.contacts.all()
        else:
            del self.fields["contact"]

    def clean_customer_code(self) -> str:
        code = self.cleaned_data["customer_code"].strip()
        customer = Customer.objects.visible_to(self.user).filter(code__iexact=code).first()
        if customer is None:  # unknown and out of reach read the same
            raise forms.ValidationError(_("Unknown customer code."))
        self.customer = customer
        return code


class TicketEditForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = ["type", "channel", "priority", "contact", "summary", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = self.instance.customer.contacts.all()


class TicketMoveForm(forms.Form):
    to_step = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    resolution = forms.CharField(
        label=_("Resolution"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    satisfaction = forms.TypedChoiceField(
        label=_("Customer satisfaction"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "–"), *[(i, str(i)) for i in range(1, 6)]],
    )


class TicketAssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False, widget=FastSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = selectors.service_staff()


class TicketCommentForm(forms.Form):
    note = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}))


class TicketFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("Open and closed")),
            ("open", pgettext_lazy("ticket status", "Open")),
            ("closed", _("Closed")),
        ],
    )
    type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("Any type")), *Ticket.Type.choices]
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        required=False,
        choices=[("", _("Any priority")), *Ticket.Priority.choices],
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)


class CareRuleForm(forms.ModelForm):
    class Meta:
        model = CareRule
        fields = [
            "name",
            "trigger",
            "days",
            "customer_kind",
            "level",
            "segment",
            "channel",
            "subject_en",
            "body_en",
            "subject_zh_hans",
            "body_zh_hans",
            "is_active",
        ]
        widgets = {
            "body_en": forms.Textarea(attrs={"rows": 5}),
            "body_zh_hans": forms.Textarea(attrs={"rows": 5}),
        }


class ServiceFlowForm(forms.ModelForm):
    class Meta:
        model = ServiceFlow
        fields = ["name", "kind", "is_default", "is_active"]

    def _get_validation_exclusions(self) -> set[str]:
        # Not the one-default-per-kind constraint: a new default takes over from the previous
        # one (services.flow_save) rather than being refused.
        return {*super()._get_validation_exclusions(), "kind"}


class BaseFlowStepFormSet(forms.BaseInlineFormSet):
    """The steps of a flow: at least one, positions unique (Django's check), at least one
    final step, and a step that tickets have used cannot be removed (their history refers to
    it)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            f
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("name")
        ]
        if not kept:
            raise forms.ValidationError(_("A flow needs at least one step."))
        if not any(f.cleaned_data.get("is_final") for f in kept):
            raise forms.ValidationError(
                _("Mark at least one step as final: reaching it closes the ticket.")
            )
        used = [
            f.instance.name
            for f in self.forms
            if f.cleaned_data.get("DELETE") and f.instance.pk and flow_step_in_use(f.instance)
        ]
        if used:
            raise forms.ValidationError(
                _("Tickets have used these steps, which cannot be removed: %(steps)s.")
                % {"steps": ", ".join(used)}
            )


def flow_step_in_use(step: FlowStep) -> bool:
    return (
        Ticket.objects.filter(step=step).exists()
        or TicketEvent.objects.filter(Q(from_step=step) | Q(to_step=step)).exists()
    )


FlowStepFormSet = forms.inlineformset_factory(
    ServiceFlow,
    FlowStep,
    formset=BaseFlowStepFormSet,
    fields=[
        "position",
        "name",
        "is_final",
        "needs_assignee",
        "needs_resolution",
        "needs_customer_confirmation",
    ],
    widgets={
        "position": forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
        "name": forms.TextInput(attrs={"class": "form-control form-control-sm"}),
        **{
            name: forms.CheckboxInput(attrs={"class": "form-check-input"})
            for name in (
                "is_final",
                "needs_assignee",
                "needs_resolution",
                "needs_customer_confirmation",
            )
        },
    },
    extra=2,
    can_delete=True,
)
