"""Catalog pages: item list with Excel export, item form, Excel import with template."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from baogong.catalog import actions
from baogong.catalog.forms import ItemForm
from baogong.catalog.models import Category, Item
from baogong.catalog.queries import filter_items
from baogong.core.audit import history_for
from baogong.core.errors import ValidationFailed
from baogong.core.excel import workbook_bytes
from baogong.core.forms import show_domain_error
from baogong.core.htmx import paginate, render_page_or_partial
from baogong.core.imports import import_page, template_response, xlsx_response
from baogong.core.permissions import require_perm


def _row(item: Item) -> list[object]:
    return [
        item.code,
        item.name,
        item.name_en,
        item.category.code if item.category else "",
        item.unit,
        item.pack_qty,
        item.pack_unit,
        item.pack_size,
        item.weight_kg,
        item.volume_m3,
        item.specification,
        item.standard,
        item.regulatory_number,
        item.reference_price,
        item.shelf_life_days,
        item.storage,
        "是" if item.is_active else "否",
    ]


@require_perm("catalog.view_item")
def item_list(request: HttpRequest) -> HttpResponse:
    items = filter_items(request.GET)
    if request.GET.get("format") == "xlsx":
        return xlsx_response("items.xlsx", workbook_bytes("items", actions.ITEM_COLUMNS, (_row(i) for i in items)))
    context = {"page": paginate(request, items), "params": request.GET, "categories": Category.objects.all()}
    return render_page_or_partial(request, "catalog/item_list.html", "catalog/partials/_item_table.html", context)


def _item_or_404(pk: int) -> Item:
    item = Item.objects.select_related("category").filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


@require_perm("catalog.view_item")
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_or_404(pk)
    return render(
        request,
        "catalog/item_detail.html",
        {"item": item, "prices": item.prices.all()[:50], "history": history_for(item)[:50]},
    )


def _save(request: HttpRequest, item: Item | None) -> HttpResponse:
    form = ItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data[k] for k in form.cleaned_data}
        try:
            saved = (
                actions.update_item(item, data, actor=request.user)
                if item
                else actions.create_item(data, actor=request.user)
            )
            messages.success(request, _("Item saved."))
            proposal = getattr(saved, "proposed_change", None)
            if proposal is not None:
                messages.info(
                    request,
                    _("The new reference price waits for another person to approve it (change %(number)s).")
                    % {"number": proposal.pk},
                )
            return redirect("catalog:item_detail", pk=saved.pk)
        except ValidationFailed as exc:
            show_domain_error(form, exc)
    title = _("Edit item") if item else _("New item")
    return render(request, "catalog/item_form.html", {"form": form, "title": title})


@require_perm("catalog.add_item")
def item_create(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@require_perm("catalog.change_item")
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save(request, _item_or_404(pk))


@require_perm("catalog.import_items")
def item_import(request: HttpRequest) -> HttpResponse:
    return import_page(
        request,
        run=lambda upload: actions.import_items(upload, actor=request.user),
        done=lambda result: _("Imported: %(created)d new, %(updated)d updated.") % result,
        then="catalog:item_list",
        title=_("Import items"),
        intro=_("Every row must be valid, or nothing is imported."),
        template_url=reverse("catalog:item_template"),
        columns=actions.ITEM_COLUMNS,
    )


@require_perm("catalog.view_item")
def item_template(request: HttpRequest) -> HttpResponse:
    notes = [
        "每行一个物资；编码已存在则更新 / One item per row; an existing code is updated.",
        "任何一行有错，整个文件都不导入 / If any row is wrong, nothing is imported.",
        "药品需国药准字，医疗器械需注册证号 / Drugs need 国药准字, devices a registration number.",
        "类别填编码或名称 / Category: code or name: " + ", ".join(Category.objects.values_list("code", flat=True)),
    ]
    return template_response("items-template.xlsx", "items", actions.ITEM_COLUMNS, notes=notes)
