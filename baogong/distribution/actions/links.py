"""No-login request links: create, revoke, file through one."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from baogong.core import audit
from baogong.core.audit import Actor, SystemActor, user_of
from baogong.core.retry import retry_on_conflict
from baogong.core.scoping import require_scope
from baogong.distribution import locks
from baogong.distribution.actions._common import (
    PHONE_RE,
    LineInput,
)
from baogong.distribution.actions.requests import _create, _validate_lines
from baogong.distribution.choices import (
    RequestChannel,
)
from baogong.distribution.errors import (
    RequestInvalid,
    RequestLinkInvalid,
    RequestLinkRateLimited,
)
from baogong.distribution.models import (
    Request,
    RequestLink,
)
from baogong.orgs.models import Site


def link_rate_limit() -> int:
    """Requests one link may file per hour (``BAOGONG_REQUEST_LINK_PER_HOUR``, default 10)."""
    return int(getattr(settings, "BAOGONG_REQUEST_LINK_PER_HOUR", 10))


# --------------------------------------------------------------------------- request links


@retry_on_conflict
def create_request_link(recipient: Site, *, actor: Actor, label: str = "") -> RequestLink:
    require_scope(actor, organisation_id=recipient.organisation_id, site_id=recipient.pk)
    with transaction.atomic(durable=True):
        link = RequestLink.objects.create(recipient=recipient, label=label[:128], created_by=user_of(actor))
        audit.record(
            "create_request_link",
            link,
            actor=actor,
            after={"recipient": recipient.code, "label": link.label, "token_prefix": link.token[:6]},
        )
        return link


@retry_on_conflict
def revoke_request_link(link: RequestLink, *, actor: Actor) -> RequestLink:
    with transaction.atomic(durable=True):
        locked = locks.request_link_for_update(link.pk)
        require_scope(actor, organisation_id=locked.recipient.organisation_id, site_id=locked.recipient_id)
        if not locked.is_active:
            raise RequestLinkInvalid(_("This request link is already revoked."))
        locked.is_active = False
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["is_active", "revoked_at", "updated_at"])
        audit.record("revoke_request_link", locked, actor=actor, before={"is_active": True}, after={"is_active": False})
        return locked


def active_link(token: str) -> RequestLink:
    link = RequestLink.objects.select_related("recipient").filter(token=token, is_active=True).first()
    if link is None or not link.recipient.is_active:
        raise RequestLinkInvalid
    return link


@retry_on_conflict
def submit_via_link(
    token: str,
    lines: Sequence[LineInput],
    *,
    submitter_name: str,
    submitter_phone: str,
    note: str = "",
) -> Request:
    """File and submit a request through a no-login link; the submitter's name and phone are kept."""
    link = active_link(token)
    errors: dict[str, list[str]] = {}
    name, phone = submitter_name.strip(), re.sub(r"[\s]", "", submitter_phone)
    if not name:
        errors["submitter_name"] = [_("Enter your name.")]
    # the same limits as the columns (and no NUL, which PostgreSQL refuses), as field errors
    for key, value, limit in (("submitter_name", name, 64), ("note", note, 500)):
        try:
            ProhibitNullCharactersValidator()(value)
            MaxLengthValidator(limit)(value)
        except ValidationError as exc:
            errors.setdefault(key, []).extend(exc.messages)
    if not PHONE_RE.match(phone):
        errors["submitter_phone"] = [_("Enter a mobile number (11 digits) or a landline with area code.")]
    try:
        _validate_lines(link.recipient, lines, SystemActor("request-link"))
    except RequestInvalid as exc:
        errors.update(exc.details)
    if errors:
        raise RequestInvalid(details=errors)
    actor = SystemActor(f"request-link:{name}")
    with transaction.atomic(durable=True):
        locked = locks.request_link_for_update(link.pk)
        if not locked.is_active:
            raise RequestLinkInvalid
        since = timezone.now() - dt.timedelta(hours=1)
        if Request.objects.filter(link=locked, created_at__gte=since).count() >= link_rate_limit():
            raise RequestLinkRateLimited
        request = _create(
            locked.recipient,
            lines,
            actor=actor,
            channel=RequestChannel.LINK,
            note=note,
            submit=True,
            link=locked,
            submitter_name=name[:64],
            submitter_phone=phone,
        )
        locked.last_used_at = timezone.now()
        locked.save(update_fields=["last_used_at", "updated_at"])
        return request
