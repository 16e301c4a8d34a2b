from __future__ import annotations

import contextlib
from decimal import Decimal

from django import forms
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.models import User
from crm.selectors import may_own_records
from crm.widgets import FastSelect
from customers.forms import ActivityForm
from customers.models import Contact, Customer
from opportunities.models import LostReason, Opportunity, Pipeline, Quote, Stage
from orders.models import Product

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class StageField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Stage) -> str:
        return f"{obj.pipeline.label} · {obj.label} ({obj.probability}%)"


class LabelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.label


def active_stages():
    return (
        Stage.objects.filter(pipeline__is_active=True)
        .select_related("pipeline")
        .order_by("pipeline__order", "pipeline_id", "order", "id")
    )


def lost_reasons():
    return LostReason.objects.filter(is_active=True)


# Customers listed in the create form's <select> at once; the search box finds the others.
CUSTOMER_CHOICES = 50


def customer_choices(
    customers, *, search: str = "", chosen=None
) -> tuple[list[tuple[str, str]], bool]:
    """The create form's customer options: the first CUSTOMER_CHOICES of `customers` matching
    `search` (name contains, or the exact code), plus the chosen one. One LIMITed query (two
    with a chosen customer outside them); one row more than CUSTOMER_CHOICES tells that the list
    was cut. Returns (choices, whether the list was cut)."""
    search = " ".join(search.split())[:100]
    qs = customers
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__iexact=search))
    rows = list(qs.values_list("pk", "name", "code")[: CUSTOMER_CHOICES + 1])
    capped = len(rows) > CUSTOMER_CHOICES
    rows = rows[:CUSTOMER_CHOICES]
    if chosen is not None and str(chosen).isdigit() and int(chosen) not in {r[0] for r in rows}:
        rows = [*customers.filter(pk=int(chosen)).values_list("pk", "name", "code"), *rows]
    choices = [("", "---------"), *((str(pk), f"{name} ({code})") for pk, name, code in rows)]
    return choices, capped


class OpportunityForm(forms.ModelForm):
    """Create and edit. The stage is a field here too; a change goes through the stage-move
    service (history, closing, lost reason), the rest through opportunity_update."""

    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.none(), widget=FastSelect
    )
    stage = StageField(label=_("Stage"), queryset=Stage.objects.none())
    lost_reason = LabelChoiceField(
        label=_("Lost reason"),
        queryset=LostReason.objects.none(),
        required=False,
        help_text=_("Required when the stage is a lost stage."),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=User.objects.none(), widget=FastSelect
    )
    # The stage when the form was opened: an unchanged stage field then means "leave the stage
    # alone", even if a board move changed it meanwhile (no silent move back).
    stage_seen = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Opportunity
        fields = [
            "customer",
            "contact",
            "name",
            "amount",
            "expected_close_on",
            "stage",
            "lost_reason",
            "lost_note",
            "owner",
            "next_step",
            "description",
        ]
        widgets = {"expected_close_on": DATE, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(
        self,
        *args,
        user: User,
        customer: Customer | None = None,
        customer_search: str = "",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.user = user
        self.customer_choices_capped = False
        instance = self.instance
        self.fields["stage"].queryset = active_stages()
        self.fields["lost_reason"].queryset = lost_reasons()
        self.fields["owner"].queryset = User.objects.editable_by(user).filter(
            may_own_records(), is_active=True
        )
        if instance.pk:
            self.fields["stage_seen"].initial = instance.stage_id
            del self.fields["customer"]
            self.fields["contact"].queryset = Contact.objects.filter(customer=instance.customer_id)
            # An owner outside the editor's reach stays selectable as is.
            self.fields["owner"].queryset = self.fields["owner"].queryset | User.objects.filter(
                pk=instance.owner_id
            )
        else:
            customers = Customer.objects.editable_by(user).order_by("name")
            # Validation accepts any customer the user may change; the <select> lists only the
            # first CUSTOMER_CHOICES matching the search box (a manager reaches thousands).
            self.fields["customer"].queryset = customers
            chosen_pk = self.data.get("customer") if self.is_bound else None
            if chosen_pk is None and customer is not None:
                chosen_pk = customer.pk
            choices, self.customer_choices_capped = customer_choices(
                customers, search=customer_search, chosen=chosen_pk
            )
            self.fields["customer"].widget.choices = choices
            if self.customer_choices_capped:
                self.fields["customer"].help_text = _(
                    "Only the first %(count)s customers are listed: type a name or code in the "
                    "box below to find the others."
                ) % {"count": CUSTOMER_CHOICES}
            # Choosing the customer reloads the contact list with that customer's contacts.
            self.fields["customer"].widget.attrs.update(
                {
                    "hx-get": reverse("opportunities:opportunity-create"),
                    "hx-trigger": "change",
                    "hx-target": "#id_contact",
                    "hx-select": "#id_contact",
                    "hx-swap": "outerHTML",
                }
            )
            self.fields["owner"].initial = user.pk
            if customer is not None:
                self.fields["customer"].initial = customer.pk
            chosen = self.data.get("customer") if self.is_bound else None
            chosen = (
                int(chosen) if chosen and str(chosen).isdigit() else getattr(customer, "pk", None)
            )
            # The contacts of the chosen customer only (a manager's reach holds thousands).
            self.fields["contact"].queryset = Contact.objects.filter(
                customer_id=chosen, customer__in=customers.values("pk")
            )
            from opportunities.services import default_pipeline, first_open_stage

            with contextlib.suppress(forms.ValidationError):
                self.fields["stage"].initial = first_open_stage(default_pipeline()).pk
        self.fields["contact"].required = False

    def clean(self):
        data = super().clean()
        stage = data.get("stage")
        if stage is not None and stage.kind == Stage.Kind.LOST and not data.get("lost_reason"):
            self.add_error("lost_reason", _("Say why the opportunity was lost."))
        customer = data.get("customer") or (self.instance.customer if self.instance.pk else None)
        contact = data.get("contact")
        if contact is not None and customer is not None and contact.customer_id != customer.pk:
            self.add_error("contact", _("This contact belongs to another customer."))
        return data

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())


class MoveForm(forms.Form):
    """A stage move from the board or the detail page."""

    stage = forms.ModelChoiceField(queryset=Stage.objects.none())
    lost_reason = LabelChoiceField(
        label=_("Lost reason"), queryset=LostReason.objects.none(), required=False
    )
    lost_note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, opportunity: Opportunity, **kwargs):
        super().__init__(*args, **kwargs)
        self.opportunity = opportunity
        self.fields["stage"].queryset = Stage.objects.filter(pipeline_id=opportunity.pipeline_id)
        self.fields["lost_reason"].queryset = lost_reasons()

    @property
    def needs_reason(self) -> bool:
        stage = self.cleaned_data.get("stage") if hasattr(self, "cleaned_data") else None
        return bool(stage and stage.is_lost and not self.cleaned_data.get("lost_reason"))


class OpportunityActivityForm(ActivityForm):
    """A follow-up logged from the opportunity page (the customer's activity form)."""


class PipelineForm(forms.ModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "name_zh", "order", "is_default", "is_active"]


class StageForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["order", "name", "name_zh", "probability", "kind"]


def stage_in_history(stage: Stage) -> bool:
    from opportunities.models import StageChange

    return StageChange.objects.filter(Q(from_stage=stage) | Q(to_stage=stage)).exists()


class BaseStageFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        kinds = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE"):
                if form.instance.pk and form.instance.opportunities.exists():
                    raise forms.ValidationError(
                        _("The stage %(name)s holds opportunities: move them before deleting it.")
                        % {"name": form.instance}
                    )
                if form.instance.pk and stage_in_history(form.instance):
                    raise forms.ValidationError(
                        _(
                            "The stage %(name)s is in the stage history of opportunities (the "
                            "reports count it): it cannot be deleted."
                        )
                        % {"name": form.instance}
                    )
                continue
            kinds.append(form.cleaned_data.get("kind"))
        if Stage.Kind.OPEN not in kinds:
            raise forms.ValidationError(_("A pipeline needs at least one open stage."))
        if Stage.Kind.WON not in kinds or Stage.Kind.LOST not in kinds:
            raise forms.ValidationError(_("A pipeline needs a won stage and a lost stage."))


StageFormSet = forms.inlineformset_factory(
    Pipeline, Stage, form=StageForm, formset=BaseStageFormSet, extra=2, can_delete=True
)

LostReasonFormSet = forms.modelformset_factory(
    LostReason, fields=["order", "name", "name_zh", "is_active"], extra=2, can_delete=False
)


class QuoteForm(forms.ModelForm):
    class Meta:
        model = Quote
        fields = ["title", "status", "issued_on", "valid_until", "tax_rate", "terms", "notes"]
        widgets = {
            "issued_on": DATE,
            "valid_until": DATE,
            "terms": forms.Textarea(attrs={"rows": 4}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self):
        data = super().clean()
        if (
            data.get("issued_on")
            and data.get("valid_until")
            and data["valid_until"] < data["issued_on"]
        ):
            self.add_error("valid_until", _("The quote must be valid at least until its date."))
        return data


class QuoteLineForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False, widget=FastSelect
    )
    description = forms.CharField(label=_("Description"), max_length=255, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        help_text=_("Empty: the product's list price."),
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(active=True).order_by("name")

    def clean(self):
        data = super().clean()
        if not data.get("product") and not data.get("description"):
            self.add_error("description", _("Describe the line or choose a product."))
        if not data.get("product") and data.get("unit_price") is None:
            self.add_error("unit_price", _("Give the unit price (no product chosen)."))
        return data


class BaseQuoteLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[dict]:
        return [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]

    def clean(self):
        super().clean()
        if not any(self.errors) and not self.lines():
            raise forms.ValidationError(_("A quote needs at least one line."))


QuoteLineFormSet = forms.formset_factory(
    QuoteLineForm, formset=BaseQuoteLineFormSet, extra=3, can_delete=True
)
