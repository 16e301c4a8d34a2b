"""Forms of the orders app: validation and cleaning only; saving goes through services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import User
from crm.selectors import may_own_records
from crm.widgets import FastSelect
from customers.models import Customer
from orders.models import Contract, Expense, Order, Payment, Product

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 14, "decimal_places": 2}
# Customers offered in the code field's autocomplete: the user's own, most recent first.
CUSTOMER_SUGGESTIONS = 300


def owner_choices(user) -> forms.ModelChoiceField:
    qs = (
        User.objects.editable_by(user)
        .filter(may_own_records(), is_active=True)
        .order_by("username")
    )
    return forms.ModelChoiceField(label=_("Owner"), queryset=qs, widget=FastSelect)


def customer_suggestions(user) -> list[tuple[str, str]]:
    return list(
        Customer.objects.filter(owner=user)
        .order_by("-created_at")
        .values_list("code", "name")[:CUSTOMER_SUGGESTIONS]
    )


class CustomerCodeField(forms.CharField):
    """A customer by its code (with an autocomplete list of the user's customers): a select of
    every customer a manager sees would be thousands of options."""

    def __init__(self, *, user, **kwargs):
        self.user = user
        kwargs.setdefault("label", _("Customer code"))
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)
        self.widget.attrs.update({"list": "customer-codes", "autocomplete": "off"})

    def prepare_value(self, value):
        return value.code if isinstance(value, Customer) else value

    def clean(self, value):
        value = super().clean(value)
        if isinstance(value, Customer) or not value:
            return value or None
        customer = Customer.objects.visible_to(self.user).filter(code__iexact=value.strip()).first()
        if customer is None:
            raise forms.ValidationError(_("No customer with this code."))
        return customer


class OrderForm(forms.Form):
    customer = forms.CharField()  # replaced in __init__
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    order_date = forms.DateField(label=_("Order date"), widget=DATE)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"] = CustomerCodeField(user=user)
        self.fields["owner"] = owner_choices(user)
        self.fields["order_date"].initial = timezone.localdate
        self.suggestions = customer_suggestions(user)


class LineForm(forms.Form):
    line_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    product = forms.ChoiceField(
        label=_("Product"),
        widget=FastSelect(attrs={"class": "form-select line-product", "aria-label": _("Product")}),
    )
    quantity = forms.DecimalField(
        label=_("Quantity"),
        max_digits=12,
        decimal_places=3,
        min_value=Decimal("0.001"),
        initial=Decimal(1),
        widget=forms.NumberInput(
            attrs={"step": "any", "class": "form-control text-end", "aria-label": _("Quantity")}
        ),
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        required=False,
        min_value=Decimal(0),
        help_text=_("Blank: the list price."),
        widget=forms.NumberInput(attrs={"step": "0.01", "class": "form-control text-end"}),
        **MONEY,
    )

    def __init__(self, *args, products: dict[str, Product], **kwargs):
        super().__init__(*args, **kwargs)
        # The catalogue is loaded once for every row of the formset (one query, not one a row).
        self.products = products
        current = str(self.initial.get("product", "") or "")
        self.fields["product"].choices = [("", "---------")] + [
            (pk, f"{p.sku} {p.name}")
            for pk, p in products.items()
            if p.active or pk == current or pk == str(self.data.get(self.add_prefix("product")))
        ]

    def clean_product(self) -> Product:
        return self.products[self.cleaned_data["product"]]

    @property
    def chosen_product(self) -> Product | None:
        """The product chosen (bound or initial), for showing its list price."""
        key = self.data.get(self.add_prefix("product")) if self.is_bound else None
        key = key or self.initial.get("product")
        return self.products.get(str(key)) if key else None


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, **kwargs):
        self.products = {str(p.pk): p for p in Product.objects.order_by("name", "id")}
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "products": self.products}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            products=self.products,
            renderer=self.renderer,
        )
        self.add_fields(form, None)
        return form

    def clean(self):
        if any(self.errors):
            return
        if not any(f.cleaned_data and not f.cleaned_data.get("DELETE") for f in self.forms):
            raise forms.ValidationError(_("Add at least one line."))


LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=0, can_delete=True, min_num=0
)


class StatusForm(forms.Form):
    to = forms.ChoiceField(choices=Order.Status.choices)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class InstallmentForm(forms.Form):
    label = forms.CharField(label=_("Installment"), max_length=120, required=False)
    percent = forms.DecimalField(
        label=_("Percent"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        widget=forms.NumberInput(
            attrs={"step": "0.01", "class": "form-control text-end", "aria-label": _("Percent")}
        ),
    )
    due_date = forms.DateField(label=_("Due date"), widget=DATE)


class BaseInstallmentFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        rows = [f.cleaned_data for f in self.forms if f.cleaned_data]
        if not rows:
            raise forms.ValidationError(_("Give at least one installment."))
        if sum(r["percent"] for r in rows) != Decimal(100):
            raise forms.ValidationError(_("The percentages must add up to 100."))


InstallmentFormSet = forms.formset_factory(
    InstallmentForm, formset=BaseInstallmentFormSet, extra=2, min_num=0
)


def default_installments(today: dt.date | None = None) -> list[dict]:
    today = today or timezone.localdate()
    return [
        {"label": _("On signing"), "percent": Decimal(30), "due_date": today},
        {
            "label": _("On delivery"),
            "percent": Decimal(70),
            "due_date": today + dt.timedelta(days=30),
        },
    ]


class PaymentForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["amount", "paid_on", "method", "reference"]
        widgets = {"paid_on": DATE}


class ContractForm(forms.ModelForm):
    order_number = forms.CharField(label=_("Order number"), max_length=32, required=False)

    class Meta:
        model = Contract
        fields = ["title", "amount", "start_on", "end_on", "terms"]
        widgets = {"start_on": DATE, "end_on": DATE, "terms": forms.Textarea({"rows": 4})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["customer"] = CustomerCodeField(user=user)
        self.fields["owner"] = owner_choices(user)
        self.order_fields(["customer", "order_number", "owner", "title", "amount"])
        self.suggestions = customer_suggestions(user)

    def clean_order_number(self):
        number = self.cleaned_data.get("order_number", "").strip()
        if not number:
            return None
        # An order the user may change: its receivables are billed from the contract.
        order = Order.objects.editable_by(self.user).filter(number__iexact=number).first()
        if order is None:
            raise forms.ValidationError(_("No order with this number."))
        return order

    def clean(self):
        data = super().clean()
        order, customer = data.get("order_number"), data.get("customer")
        if order is not None and customer is not None and order.customer_id != customer.pk:
            self.add_error("order_number", _("The order is for another customer."))
        return data


class DecisionForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea({"rows": 2})
    )


class SignForm(forms.Form):
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE, initial=timezone.localdate)


class ExpenseForm(forms.ModelForm):
    class Meta:
        model = Expense
        fields = ["spent_on", "category", "amount", "note"]
        widgets = {"spent_on": DATE}

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("The amount must be more than zero."))
        return amount


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["sku", "name", "unit", "list_price", "active", "description"]
        widgets = {"description": forms.Textarea({"rows": 3})}
