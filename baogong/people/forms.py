from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from baogong.core.api import MAX_QTY
from baogong.core.dates import date_range_validators
from baogong.core.forms import BootstrapMixin
from baogong.core.scoping import scoped
from baogong.orgs.models import Organisation, Site
from baogong.people.choices import (
    CareLogKind,
    DutyType,
    GuestRequestKind,
    Meal,
    PersonKind,
    Shift,
    TestKind,
    TestResult,
)
from baogong.people.models import Person


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class PersonForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PersonKind.choices)
    name = forms.CharField(label=_("Name"), max_length=64)
    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none(), required=False)
    home_site = forms.ModelChoiceField(label=_("Home site"), queryset=Site.objects.none(), required=False)
    id_number = forms.CharField(label=_("Resident ID number"), max_length=18, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    position = forms.CharField(label=_("Position"), max_length=64, required=False)
    login = forms.CharField(
        label=_("Login (username) for the phone check-in"),
        max_length=150,
        required=False,
        help_text=_("Optional: the person then checks in and reports tests from their phone."),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = scoped(Organisation.objects.order_by("code"), user)  # type: ignore[attr-defined]
        self.fields["home_site"].queryset = scoped(Site.objects.order_by("code"), user)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        username = (data.get("login") or "").strip()
        data["user"] = None
        if username:
            from django.contrib.auth import get_user_model

            data["user"] = get_user_model().objects.filter(username=username, is_active=True).first()
            if data["user"] is None:
                self.add_error("login", "未知的登录名 / unknown login")
        return data


class HealthTestForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Test"), choices=TestKind.choices)
    result = forms.ChoiceField(label=_("Result"), choices=TestResult.choices)
    taken_at = forms.DateTimeField(label=_("Taken at"), widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"])
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = scoped(Site.objects.order_by("code"), user)  # type: ignore[attr-defined]


class SelfTestForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Test"), choices=TestKind.choices)
    result = forms.ChoiceField(label=_("Result"), choices=TestResult.choices)
    taken_at = forms.DateTimeField(label=_("Taken at"), widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"])
    photo = forms.ImageField(label=_("Photo of the test"))


class CheckInForm(BootstrapMixin, forms.Form):
    temperature = forms.DecimalField(label=_("Temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = forms.CharField(label=_("Symptoms (leave empty if none)"), max_length=255, required=False)


class DeploymentForm(BootstrapMixin, forms.Form):
    duty_type = forms.ChoiceField(label=_("Duty"), choices=DutyType.choices)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)
    shift = forms.ChoiceField(label=_("Shift"), choices=Shift.choices)
    starts_on = forms.DateField(label=_("From"), widget=DateInput(), validators=date_range_validators())
    ends_on = forms.DateField(label=_("To"), widget=DateInput(), validators=date_range_validators())

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = scoped(Site.objects.order_by("code"), user)  # type: ignore[attr-defined]


class DispatchForm(BootstrapMixin, forms.Form):
    people = forms.ModelMultipleChoiceField(
        label=_("People"), queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    organisation = forms.ModelChoiceField(label=_("Sent by"), queryset=Organisation.objects.none())
    destination_team = forms.CharField(label=_("Destination team"), max_length=128)
    starts_on = forms.DateField(label=_("From"), widget=DateInput(), validators=date_range_validators())
    ends_on = forms.DateField(label=_("To"), widget=DateInput(), validators=date_range_validators())
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args: Any, user: Any = None, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = people  # type: ignore[attr-defined]
        self.fields["organisation"].queryset = scoped(Organisation.objects.order_by("code"), user)  # type: ignore[attr-defined]
        self.fields["people"].widget.attrs["class"] = "form-check-input"


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)


class MealForm(BootstrapMixin, forms.Form):
    served_on = forms.DateField(label=_("Day"), widget=DateInput(), validators=date_range_validators())
    meal = forms.ChoiceField(label=_("Meal"), choices=Meal.choices)
    servings = forms.IntegerField(label=_("Servings"), min_value=0, max_value=MAX_QTY)


class CareLogForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CareLogKind.choices)
    area = forms.CharField(label=_("Area"), max_length=128, required=False)
    waste_kg = forms.DecimalField(label=_("Waste (kg)"), max_digits=8, decimal_places=1, required=False)
    agent = forms.CharField(label=_("Disinfectant"), max_length=64, required=False)


def _active_items() -> Any:
    from baogong.catalog.models import Item

    return Item.objects.filter(is_active=True).order_by("code")


class GuestRequestForm(BootstrapMixin, forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=Person.objects.none())
    kind = forms.ChoiceField(label=_("Kind"), choices=GuestRequestKind.choices)
    text = forms.CharField(label=_("What is needed"), max_length=500)
    item = forms.ModelChoiceField(
        label=_("Catalogue item (optional: sends it to distribution at once)"),
        queryset=Person.objects.none(),
        required=False,
    )
    qty = forms.IntegerField(label=_("Quantity (issue units)"), min_value=1, max_value=MAX_QTY, required=False)
    needed_by = forms.DateField(
        label=_("Needed by"), widget=DateInput(), required=False, validators=date_range_validators()
    )

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.fields["item"].queryset = _active_items()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        if data.get("item") is not None and not data.get("qty"):
            self.add_error("qty", _("Give the quantity of the item."))
        if data.get("qty") and data.get("item") is None:
            self.add_error("item", _("Choose the item for this quantity."))
        return data


class ConvertGuestRequestForm(BootstrapMixin, forms.Form):
    """Staff turn an open guest request into a distribution request: item, quantity, date."""

    request = forms.ModelChoiceField(label=_("Guest request"), queryset=Person.objects.none())
    item = forms.ModelChoiceField(label=_("Catalogue item"), queryset=Person.objects.none())
    qty = forms.IntegerField(label=_("Quantity (issue units)"), min_value=1, max_value=MAX_QTY)
    needed_by = forms.DateField(
        label=_("Needed by"), widget=DateInput(), required=False, validators=date_range_validators()
    )

    def __init__(self, *args: Any, requests: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["request"].queryset = requests  # type: ignore[attr-defined]
        self.fields["request"].label_from_instance = lambda r: f"#{r.pk} {r.person.name}: {r.text[:40]}"  # type: ignore[attr-defined]
        self.fields["item"].queryset = _active_items()  # type: ignore[attr-defined]


class CheckInGuestForm(BootstrapMixin, forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=Person.objects.none())
    room = forms.ModelChoiceField(label=_("Room"), queryset=Person.objects.none(), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=128, required=False)

    def __init__(self, *args: Any, people: Any = None, rooms: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.fields["room"].queryset = rooms  # type: ignore[attr-defined]


class ResidentCheckForm(BootstrapMixin, forms.Form):
    person = forms.ModelChoiceField(label=_("Person"), queryset=Person.objects.none())
    temperature = forms.DecimalField(label=_("Temperature (°C)"), max_digits=3, decimal_places=1)
    symptoms = forms.CharField(label=_("Symptoms (leave empty if none)"), max_length=255, required=False)

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
