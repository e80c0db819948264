"""Each role's home page: its task inbox, one card per kind of work waiting.

A card has a title, a count, a link to the filtered list, the first few rows (each with its link)
and an empty state that says what to do next. A card is built only when the user holds the
permissions of every link on it, so no link on a home page answers 403 (or 404).
The command centre (and users without a role of their own) keep the dashboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.urls import NoReverseMatch

from baogong.orgs.choices import Role
from baogong.reports.inbox.cards import Card, Link, Row
from baogong.reports.inbox.services import (
    applications_checked,
    applications_handled,
    applications_returned,
    applications_submitted,
    changes_to_decide,
    fuel_queue,
    my_applications,
    my_leases,
    my_letters,
    open_incidents,
    orders_to_review,
    orders_to_settle,
    overdue_tests,
    recent_audit,
    reports,
    sites_under_control,
)
from baogong.reports.inbox.supply import (
    check_in,
    counts,
    expiring_lots,
    lots_to_inspect,
    my_deliveries,
    my_stops,
    on_the_road,
    orders_to_place,
    orders_to_receive,
    picks_due,
    put_away,
    requests_to_approve,
    to_load,
    to_plan,
    to_send,
)

__all__ = ["Card", "Link", "Row", "cards_for", "has_inbox", "roles_of"]


Builder = Callable[[Any, dt.date], "Card | None | list[Card]"]

ROLE_CARDS: dict[str, list[Builder]] = {
    Role.COMMAND_CENTRE: [requests_to_approve, changes_to_decide],  # shown above its dashboard
    Role.WAREHOUSE_KEEPER: [put_away, picks_due, counts, expiring_lots, check_in],
    Role.DISPATCHER: [to_plan, to_load, to_send, on_the_road, check_in],
    Role.DRIVER: [my_stops, check_in, my_deliveries],
    Role.PHARMACIST: [orders_to_review, orders_to_settle, check_in],
    Role.QC_INSPECTOR: [lots_to_inspect, check_in],
    Role.HEALTH_OFFICER: [overdue_tests, open_incidents, sites_under_control, check_in],
    Role.PROPERTY_OFFICER: [
        applications_submitted,
        applications_handled,
        applications_checked,
        applications_returned,
        check_in,
    ],
    Role.TENANT: [my_leases, my_applications, my_letters],
    Role.FUEL_ATTENDANT: [fuel_queue, check_in],
    Role.PROCUREMENT_OFFICER: [orders_to_place, orders_to_receive, check_in],
    Role.AUDITOR: [recent_audit, reports],
}

# Roles that keep the command dashboard as their home.
DASHBOARD_ROLES = frozenset({Role.COMMAND_CENTRE, Role.READ_ONLY})


def roles_of(user: Any) -> list[str]:
    return sorted(set(user.groups.values_list("name", flat=True)))


def has_inbox(user: Any) -> bool:
    """Whether the user's home is the inbox: a role with an inbox and none that keeps the dashboard."""
    if user.is_superuser:
        return False
    roles = roles_of(user)
    return bool(roles) and not DASHBOARD_ROLES.intersection(roles) and any(r in ROLE_CARDS for r in roles)


def cards_for(user: Any, today: dt.date) -> list[Card]:
    """The cards of every role of the user, each once, in the roles' order."""
    seen: set[Builder] = set()
    builders: list[Builder] = []
    for role in roles_of(user):
        for builder in ROLE_CARDS.get(role, []):
            if builder not in seen:
                seen.add(builder)
                builders.append(builder)
    cards: list[Card] = []
    for builder in builders:
        try:
            made = builder(user, today)
        except NoReverseMatch:  # a page of an app this site does not route: no card for it
            continue
        if isinstance(made, Card):
            cards.append(made)
        elif isinstance(made, Iterable):
            cards.extend(made)
    return cards
