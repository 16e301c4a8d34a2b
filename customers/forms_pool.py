"""Forms of the public pool pages: release, assign, transfer, hand-over and the pool settings."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.models import User
from customers.models import Customer, PoolRule, PoolSettings
from customers.pool import MAX_BULK, assignable_users


class IdsField(forms.Field):
    """The primary keys of the selected rows (checkboxes named `ids`), deduplicated."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "invalid": _("The selection is not valid."),
        "too_many": _("Select at most %(max)d customers at once."),
    }

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = sorted({int(v) for v in value})
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if len(ids) > MAX_BULK:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"max": MAX_BULK}
            )
        return ids


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        team = f" · {obj.team}" if obj.team_id else ""
        return f"{obj}{team}"


class ReleaseForm(forms.Form):
    note = forms.CharField(
        label=_("Why are you returning this customer to the pool?"),
        max_length=255,
        required=False,
    )


class _ReceiverForm(forms.Form):
    """A form with a receiver among the people `by` may give customers to."""

    to_user = UserChoiceField(label=_("Give to"), queryset=User.objects.none())
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args, by: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = assignable_users(by)


class AssignForm(_ReceiverForm):
    ids = IdsField(error_messages={"required": _("Select at least one customer.")})


class TransferForm(_ReceiverForm):
    ids = IdsField(error_messages={"required": _("Select at least one customer.")})


class HandoverForm(_ReceiverForm):
    from_user = UserChoiceField(
        label=_("Rep who leaves"),
        queryset=User.objects.none(),
        help_text=_("Also people already deactivated."),
    )
    field_order = ["from_user", "to_user", "note"]

    def __init__(self, *args, by: User, **kwargs) -> None:
        super().__init__(*args, by=by, **kwargs)
        self.fields["from_user"].queryset = (
            User.objects.editable_by(by)
            .select_related("team")
            .order_by("-is_active", "team__path", "last_name", "first_name", "username")
        )

    def clean(self) -> dict:
        data = super().clean()
        giver, receiver = data.get("from_user"), data.get("to_user")
        if giver and receiver and giver.pk == receiver.pk:
            raise ValidationError(_("Choose someone else to receive the records."))
        return data


class PoolFilterForm(forms.Form):
    """Search and filters of the pool list. A value outside the choices is dropped, not an
    error: a stale bookmark still shows the pool."""

    q = forms.CharField(required=False, max_length=100)
    level = forms.ChoiceField(required=False, choices=[("", ""), *Customer.Level.choices])
    industry = forms.ChoiceField(required=False, choices=[("", ""), *Customer.Industry.choices])
    source = forms.ChoiceField(required=False, choices=[("", ""), *Customer.Source.choices])

    def filters(self) -> dict[str, str]:
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class PoolSettingsForm(forms.ModelForm):
    class Meta:
        model = PoolSettings
        fields = ["daily_claim_limit", "max_owned", "reclaim_cooldown_days"]


class PoolRuleForm(forms.ModelForm):
    class Meta:
        model = PoolRule
        fields = ["name", "level", "trigger", "days", "warn_days", "is_active"]

    def clean_days(self) -> int:
        days = self.cleaned_data["days"]
        if days < 1:
            raise ValidationError(_("At least one day."))
        return days
