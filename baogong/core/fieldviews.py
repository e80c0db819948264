"""Pages of the offline field kit: the service worker and manifest at the site root, the page a
phone shows when it has never opened the asked page, and the list of offline conflicts."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from baogong.core import field
from baogong.core.errors import DomainError
from baogong.core.htmx import paginate
from baogong.core.models import FieldConflict
from baogong.core.scoping import scoped

# Static files every field page needs, cached when the service worker installs.
SHELL_STATIC = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "core/baogong.css",
    "core/baogong.js",
    "core/field.js",
    "core/scanner.js",
    "vendor/zxing/zxing.min.js",
    "core/icons/baogong.svg",
    "core/icons/baogong-192.png",
    "core/icons/baogong-512.png",
)
FIELD_HEADER = "X-Baogong-Field"


def field_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a phone page the service worker keeps for offline use (its successful answers)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200:
            response[FIELD_HEADER] = "1"
            response["Cache-Control"] = "private, no-cache"
        return response

    return wrapper


def service_worker(request: HttpRequest) -> HttpResponse:
    """``/sw.js``: served from the root so its scope is the whole site; never cached by HTTP
    caches (the browser checks for a new one on every visit)."""
    shell = [static(name) for name in SHELL_STATIC]
    offline = "/field/offline/"
    version = hashlib.sha256("|".join([*shell, offline]).encode()).hexdigest()[:12]
    body = render_to_string(
        "core/field/sw.js",
        {"shell": shell, "offline": offline, "version": version, "field_header": FIELD_HEADER},
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache, max-age=0"
    return response


def manifest(request: HttpRequest) -> JsonResponse:
    """``/manifest.webmanifest``: what a phone needs to install Baogong on its home screen."""
    body = {
        "name": _("Baogong emergency supply"),
        "short_name": _("Baogong"),
        "lang": "zh-CN",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#b71c1c",
        "icons": [
            {"src": static("core/icons/baogong-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("core/icons/baogong-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("core/icons/baogong-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
            {"src": static("core/icons/baogong.svg"), "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json; charset=utf-8"
    return response


def offline_page(request: HttpRequest) -> HttpResponse:
    """What a phone shows offline for a page it never opened online (cached by the worker)."""
    return render(request, "core/field/offline.html")


def _conflicts_for(user: Any) -> Any:
    """Open and reviewed conflicts in the user's scope whose review permission the user holds."""
    perms = user.get_all_permissions() if not user.is_superuser else None
    qs = scoped(FieldConflict.objects.all(), user)
    if perms is not None:
        qs = qs.filter(Q(permission__in=perms))
    return qs


@login_required
def conflict_list(request: HttpRequest) -> HttpResponse:
    qs = _conflicts_for(request.user)
    status = request.GET.get("status", FieldConflict.Status.OPEN)
    if status in FieldConflict.Status.values:
        qs = qs.filter(status=status)
    page = paginate(request, qs)
    return render(
        request,
        "core/field/conflict_list.html",
        {"page": page, "status": status, "statuses": FieldConflict.Status.choices},
    )


@login_required
@require_POST
def conflict_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    conflict = _conflicts_for(request.user).filter(pk=pk).first()
    if conflict is None:
        raise Http404
    try:
        field.resolve_conflict(conflict, note=request.POST.get("resolution", ""), actor=request.user)
    except DomainError as exc:
        detail = exc.details.get("resolution") if isinstance(exc.details, dict) else None
        messages.error(request, " ".join(str(m) for m in detail) if detail else str(exc.message))
    else:
        messages.success(request, _("Marked as reviewed."))
    return redirect("core:conflict_list")
