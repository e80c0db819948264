"""Permission checks for views: 403 for a missing permission, login for anonymous users."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from rest_framework import permissions

from baogong.core.authz import has_perms


def require_perm(*perms: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_perms(request.user, perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class HasPerms(permissions.BasePermission):
    """DRF permission: the view's ``required_perms`` maps HTTP methods to permission lists."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        required: dict[str, list[str]] = getattr(view, "required_perms", {})
        needed = required.get(request.method, required.get("*", []))
        return has_perms(request.user, needed)
