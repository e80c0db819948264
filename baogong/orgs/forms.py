from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from baogong.core import imports as core_imports
from baogong.core.forms import BootstrapMixin
from baogong.core.scoping import scoped
from baogong.orgs.actions import SITE_FIELDS
from baogong.orgs.choices import SiteStatus
from baogong.orgs.models import Organisation, Site


class SiteForm(BootstrapMixin, forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Site
        fields = [f for f in SITE_FIELDS if f not in ("status", "status_reason")]
        widgets = {
            "receiving_from": forms.TimeInput(attrs={"type": "time"}),
            "receiving_until": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = scoped(Organisation.objects.all(), user)  # type: ignore[attr-defined]
        self.fields["priority_tier"].required = False
        if self.instance.pk:
            self.fields["code"].disabled = True


class SiteStatusForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=SiteStatus.choices)
    reason = forms.CharField(label=_("reason"), required=False, max_length=255)


class ImportForm(core_imports.ImportForm):
    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("Upload an .xlsx file."))
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload
