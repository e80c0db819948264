from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from baogong.command.models import ChecklistTemplate, CommunicationPost, ReportRecipient
from baogong.core.forms import BootstrapMixin
from baogong.orgs import queries as org_queries
from baogong.orgs.choices import AreaLevel, SiteKind
from baogong.orgs.models import AdministrativeArea, Site


class PostForm(BootstrapMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CommunicationPost
        fields = ["organisation", "kind", "channel", "outlet", "published_on", "title", "link", "reads"]
        widgets = {"published_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = org_queries.organisations_for(user)  # type: ignore[attr-defined]


class InspectionForm(BootstrapMixin, forms.Form):
    """The phone form: venue, day, and for every checklist point: ok?, finding, photo, owner, deadline."""

    venue: forms.ModelChoiceField[Site] = forms.ModelChoiceField(queryset=Site.objects.none(), label=_("venue"))
    inspected_on = forms.DateField(label=_("inspected on"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, template: ChecklistTemplate, venues: Any, **kwargs: Any) -> None:
        self.template = template
        super().__init__(*args, **kwargs)
        self.fields["venue"].queryset = venues  # type: ignore[attr-defined]
        for item in template.items.all():
            self.fields[f"ok_{item.code}"] = forms.TypedChoiceField(
                label=item.text,
                choices=[("1", _("Compliant")), ("0", _("Not compliant"))],
                coerce=lambda v: v == "1",
                widget=forms.RadioSelect,
            )
            self.fields[f"remark_{item.code}"] = forms.CharField(label=_("finding"), required=False, max_length=255)
            self.fields[f"photo_{item.code}"] = forms.FileField(
                label=_("photo"),
                required=False,
                widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
            )
            self.fields[f"owner_{item.code}"] = forms.CharField(
                label=pgettext_lazy("finding", "owner"), required=False, max_length=64
            )
            self.fields[f"deadline_{item.code}"] = forms.DateField(
                label=_("deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"})
            )
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.RadioSelect):
                field.widget.attrs["class"] = "form-check-input"
            field.widget.attrs.setdefault("id", f"id_{name}")

    def item_groups(self) -> list[dict[str, Any]]:
        return [
            {
                "item": item,
                "ok": self[f"ok_{item.code}"],
                "remark": self[f"remark_{item.code}"],
                "photo": self[f"photo_{item.code}"],
                "owner": self[f"owner_{item.code}"],
                "deadline": self[f"deadline_{item.code}"],
            }
            for item in self.template.items.all()
        ]


class ReinspectionForm(BootstrapMixin, forms.Form):
    inspected_on = forms.DateField(label=_("re-inspected on"), widget=forms.DateInput(attrs={"type": "date"}))
    is_compliant = forms.BooleanField(label=_("now compliant"), required=False)
    remark = forms.CharField(label=_("finding"), required=False, max_length=255)
    photo = forms.FileField(label=_("photo"), required=False)


class RecipientForm(BootstrapMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = ReportRecipient
        fields = ["organisation", "name", "email", "webhook_url"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = org_queries.organisations_for(user)  # type: ignore[attr-defined]


class DrillForm(BootstrapMixin, forms.Form):
    """The events of a drill; the action validates them again (the command line uses the same rules)."""

    title = forms.CharField(label=_("title"), max_length=128, required=False)
    days = forms.IntegerField(label=_("number of days"), min_value=1, max_value=60, initial=7)
    seed = forms.IntegerField(label=_("seed"), min_value=0, initial=1)
    lockdown = forms.MultipleChoiceField(
        label=_("warehouses locked down"), required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    blacklist = forms.CharField(
        label=_("suppliers blacklisted"),
        required=False,
        help_text=_("USCC or name, separated by commas; their lots are recalled."),
    )
    fleet_cut_pct = forms.IntegerField(label=_("fleet cut (%)"), min_value=0, max_value=100, initial=0)
    road_closure_pct = forms.IntegerField(
        label=_("road closures: extra detour (%)"), min_value=0, max_value=500, initial=0
    )
    surge_area = forms.ChoiceField(label=_("area of a demand surge"), required=False)
    surge_pct = forms.IntegerField(label=_("demand surge (%)"), min_value=0, max_value=1000, initial=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: added by name so the field, the action and the CLI agree.
        first_day = forms.DateField(label=_("first day"), widget=forms.DateInput(attrs={"type": "date"}))
        title = self.fields.pop("title")
        self.fields = {"title": title, "from": first_day, **self.fields}
        self.fields["from"].widget.attrs.setdefault("class", "form-control")
        self.fields["lockdown"].choices = [  # type: ignore[attr-defined]
            (s.code, f"{s.code} {s.name}")
            for s in Site.objects.filter(kind=SiteKind.WAREHOUSE, is_active=True).order_by("code")
        ]
        self.fields["surge_area"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (a.code, f"{a.code} {a.name}")
            for a in AdministrativeArea.objects.exclude(level=AreaLevel.DISTRICT).order_by("code")
        ]
