"""Form helpers: Bootstrap classes on every widget; one way to show a refused action."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django import forms
from django.contrib import messages
from django.forms.forms import BaseForm
from django.http import HttpRequest
from django.utils.translation import gettext as _

from baogong.core.errors import DomainError
from baogong.core.lookups import searchable_widget
from baogong.core.uploads import UploadRefused, check_upload

Describe = Callable[[Any], str]


class BootstrapMixin:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            field.widget = widget = searchable_widget(field.widget)
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


def describe_detail(error: Any) -> str:
    """One entry of a ``DomainError.details`` list as text: a message, a stock shortfall
    (``name``/``requested``/``available``), a nested mapping, or anything else as ``str``."""
    if isinstance(error, dict):
        if "message" in error:
            return str(error["message"])
        if "requested" in error or "available" in error:
            return _("%(name)s: asked %(requested)s, available %(available)s") % {
                "name": error.get("name", error.get("item", "")),
                "requested": error.get("requested", ""),
                "available": error.get("available", ""),
            }
        return "; ".join(f"{key}: {describe_detail(value)}" for key, value in error.items())
    if isinstance(error, list | tuple):
        return "; ".join(describe_detail(value) for value in error)
    return str(error)


def domain_error_details(exc: DomainError, describe: Describe = describe_detail) -> Iterator[tuple[str, str]]:
    """``(field, text)`` for every entry of the error's details, in order."""
    details = exc.details if isinstance(exc.details, dict) else {}
    for field, errors in details.items():
        for error in errors if isinstance(errors, list) else [errors]:
            yield str(field), describe(error)


def domain_error_text(exc: DomainError, describe: Describe = describe_detail) -> str:
    """The message followed by the texts of its details (each once), for a flash message."""
    message = str(exc.message)
    texts: list[str] = []
    for _field, text in domain_error_details(exc, describe):
        if text and text != message and text not in texts:
            texts.append(text)
    return " ".join([message, "; ".join(texts)]) if texts else message


def domain_error_list(exc: DomainError, describe: Describe = describe_detail) -> list[str]:
    """The texts of the error's details, or its message when it has none: a list for a page."""
    return [text for _field, text in domain_error_details(exc, describe)] or [str(exc.message)]


def show_domain_error(
    target: BaseForm | HttpRequest, exc: DomainError, *, describe: Describe = describe_detail
) -> None:
    """Show a refused action where the user looks.

    On a form: each detail on its field when the form has that field, else as a non-field
    error; the message too (first, as a non-field error) unless every detail found its field.
    On a request: one error message, the message followed by the details' texts."""
    if not isinstance(target, BaseForm):
        messages.error(target, domain_error_text(exc, describe))
        return
    entries = list(domain_error_details(exc, describe))
    if not entries or any(field not in target.fields for field, _text in entries):
        target.add_error(None, str(exc.message))
    for field, text in entries:
        target.add_error(field if field in target.fields else None, text)


def show_form_errors(request: HttpRequest, form: BaseForm) -> None:
    """A form posted from another page: each of its errors as an error message."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


class MultipleFileInput(forms.ClearableFileInput):
    """A file input that takes several files at once (``<input type=file multiple>``)."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field: a list of uploads, each checked by content and size by the
    upload guard (``core.uploads.check_upload``) before anything is written; empty when optional
    and none were chosen. ``max_files`` bounds one submission."""

    def __init__(self, *args: Any, kinds: tuple[str, ...] | None = None, max_files: int = 20, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        self.max_files = max_files

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > self.max_files:
            raise forms.ValidationError(_("At most %(n)d files at once.") % {"n": self.max_files}, code="max_files")
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        for upload in cleaned:
            try:
                if self.kinds is None:
                    check_upload(upload)
                else:
                    check_upload(upload, kinds=self.kinds)
            except UploadRefused as exc:
                messages_ = [str(m) for errors in exc.details.values() for m in errors]
                raise forms.ValidationError(f"{upload.name}: {'；'.join(messages_)}", code="refused") from exc
        return cleaned
