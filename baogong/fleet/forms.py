from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from baogong.core.forms import BootstrapMixin
from baogong.core.scoping import scoped
from baogong.fleet.actions.vehicles import VEHICLE_FIELDS
from baogong.fleet.choices import ShiftSlot
from baogong.fleet.models import Driver, FuelQueueTicket, FuelTank, PlannedRoute, Vehicle, VehiclePass
from baogong.orgs.models import AdministrativeArea, Organisation, Site


class VehicleForm(BootstrapMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Vehicle
        fields = VEHICLE_FIELDS

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = scoped(Organisation.objects.all(), user)  # type: ignore[attr-defined]
        self.fields["home_depot"].queryset = Site.objects.filter(kind="warehouse", lat__isnull=False)  # type: ignore[attr-defined]

    def validate_unique(self) -> None:  # the action validates (and answers field errors)
        return


class DriverForm(BootstrapMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Driver
        fields = ["organisation", "name", "phone", "person", "licence_number", "licence_class", "licence_expiry"]
        widgets = {"licence_expiry": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = scoped(Organisation.objects.all(), user)  # type: ignore[attr-defined]
        from baogong.people.models import Person

        self.fields["person"].queryset = scoped(Person.objects.all(), user)  # type: ignore[attr-defined]

    def validate_unique(self) -> None:
        return


class PassForm(BootstrapMixin, forms.ModelForm):  # type: ignore[type-arg]
    areas = forms.ModelMultipleChoiceField(
        label=_("areas covered"),
        queryset=AdministrativeArea.objects.all(),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = VehiclePass
        fields = ["number", "route_description", "valid_from", "valid_until", "issuing_body", "scan"]
        widgets = {
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
        }

    def validate_unique(self) -> None:
        return


class PlanForm(BootstrapMixin, forms.Form):
    organisation = forms.ModelChoiceField(label=_("organisation"), queryset=Organisation.objects.none())
    date = forms.DateField(label=_("dispatch day"), widget=forms.DateInput(attrs={"type": "date"}))
    vehicles = forms.ModelMultipleChoiceField(
        label=_("vehicles"), queryset=Vehicle.objects.none(), widget=forms.SelectMultiple(attrs={"size": 8})
    )
    recipients = forms.ModelMultipleChoiceField(
        label=_("recipients"),
        queryset=Site.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Each chosen recipient gets one delivery of the demand below."),
    )
    from_shipments = forms.BooleanField(
        label=_("plan the open shipments"),
        required=False,
        initial=True,
        help_text=_("Shipments planned or picked at the chosen vehicles' depots, one delivery each."),
    )
    demand_kg = forms.IntegerField(label=_("kg per delivery"), min_value=0, initial=200)
    demand_cases = forms.IntegerField(label=_("cases per delivery"), min_value=0, initial=10)
    service_minutes = forms.IntegerField(label=_("service (min)"), min_value=0, max_value=240, initial=10)
    detour_factor = forms.DecimalField(
        label=_("detour factor"), min_value=1, max_value=5, decimal_places=2, initial=1.3
    )
    speed_kmh = forms.DecimalField(
        label=_("average speed (km/h)"), min_value=1, max_value=120, decimal_places=1, initial=30
    )
    time_limit_s = forms.IntegerField(label=_("time limit (s)"), min_value=1, max_value=600, initial=30)
    shift_start = forms.TimeField(
        label=_("shift start"), initial="08:00", widget=forms.TimeInput(attrs={"type": "time"})
    )
    shift_minutes = forms.IntegerField(label=_("shift length (min)"), min_value=30, max_value=24 * 60, initial=600)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = scoped(Organisation.objects.all(), user)  # type: ignore[attr-defined]
        self.fields["vehicles"].queryset = scoped(Vehicle.objects.filter(status="active"), user)  # type: ignore[attr-defined]
        self.fields["recipients"].queryset = Site.objects.filter(  # type: ignore[attr-defined]
            lat__isnull=False, is_active=True
        ).exclude(kind__in=["warehouse", "fuel_station", "customer"])


class MoveStopForm(forms.Form):
    route = forms.ModelChoiceField(queryset=PlannedRoute.objects.none(), required=False)
    position = forms.IntegerField(min_value=1, initial=1)

    def __init__(self, *args: Any, plan: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plan is not None:
            self.fields["route"].queryset = plan.routes.all()  # type: ignore[attr-defined]


class AssignDriverForm(forms.Form):
    driver = forms.ModelChoiceField(queryset=Driver.objects.none(), required=False)

    def __init__(self, *args: Any, plan: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if plan is not None:
            self.fields["driver"].queryset = Driver.objects.filter(  # type: ignore[attr-defined]
                organisation=plan.organisation, is_active=True
            )


class ArrivalForm(BootstrapMixin, forms.Form):
    plate = forms.CharField(label=_("plate"), max_length=16)


class SaleForm(BootstrapMixin, forms.Form):
    tank = forms.ModelChoiceField(label=_("tank"), queryset=FuelTank.objects.none())
    plate = forms.CharField(label=_("plate"), max_length=16)
    litres = forms.IntegerField(label=_("litres"), min_value=1)
    unit_price = forms.DecimalField(label=_("price per litre"), min_value=Decimal("0.01"), decimal_places=2)
    ticket = forms.ModelChoiceField(label=_("queue ticket"), queryset=FuelQueueTicket.objects.none(), required=False)

    def __init__(self, *args: Any, station: Any = None, include_served: bool = False, **kwargs: Any) -> None:
        # include_served: a sale queued offline names a ticket that may have been served since (the
        # action then keeps it for review rather than the form refusing it)
        super().__init__(*args, **kwargs)
        self.fields["tank"].queryset = FuelTank.objects.filter(station=station)  # type: ignore[attr-defined]
        tickets = FuelQueueTicket.objects.filter(station=station)
        self.fields["ticket"].queryset = (  # type: ignore[attr-defined]
            tickets if include_served else tickets.filter(served_at__isnull=True)
        )


class DeliveryForm(BootstrapMixin, forms.Form):
    tank = forms.ModelChoiceField(label=_("tank"), queryset=FuelTank.objects.none())
    litres = forms.IntegerField(label=_("litres"), min_value=1)
    unit_cost = forms.DecimalField(label=_("cost per litre"), min_value=Decimal("0"), decimal_places=4)
    reference = forms.CharField(label=_("delivery note"), max_length=64)

    def __init__(self, *args: Any, station: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tank"].queryset = FuelTank.objects.filter(station=station)  # type: ignore[attr-defined]


class RosterForm(BootstrapMixin, forms.Form):
    slot = forms.ChoiceField(label=_("shift"), choices=ShiftSlot.choices)
    attendants = forms.CharField(label=_("attendants"), help_text=_("Names separated by commas."))
