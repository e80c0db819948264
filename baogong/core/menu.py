from django.utils.translation import gettext_lazy as _

MENU = [
    ("core:audit_list", _("Audit log"), "journal-text", "core.view_auditevent"),
    ("core:job_list", _("Background jobs"), "hourglass-split", "core.view_job"),
    # offline actions that no longer fit their record (core's field kit), whichever app they are of
    ("core:conflict_list", _("Offline conflicts"), "cloud-slash", None),
]


def _reviews_field_conflicts(user: object) -> bool:
    """The offline conflicts page, for users who review one of their kinds: every app's menu lists
    the permissions its conflicts are reviewed with (``FIELD_REVIEW``)."""
    from baogong.registry import app_modules

    wanted = {perm for _app, module in app_modules("menu") for perm in getattr(module, "FIELD_REVIEW", ())}
    return any(user.has_perm(perm) for perm in wanted)  # type: ignore[attr-defined]


VISIBLE = {"core:conflict_list": _reviews_field_conflicts}
