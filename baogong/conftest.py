"""Fixtures the apps' tests share: the actor for set-up, the demo base data's sites that tests
name most, and the item most tests move (the root ``conftest.py`` has ``base``, ``user``,
``client_for`` and ``api_for``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from baogong.catalog import actions as catalog_actions
from baogong.catalog.models import Category, Item
from baogong.core.audit import SystemActor
from baogong.orgs.models import Site


@pytest.fixture
def system() -> SystemActor:
    return SystemActor("test")


@pytest.fixture
def commander(user: Any) -> Any:
    return user("commander")


def _site(name: str, code: str, doc: str) -> Any:
    def fixture(base: None) -> Site:
        return Site.objects.get(code=code)

    fixture.__doc__ = doc
    return pytest.fixture(name=name)(fixture)


txq = _site("txq", "WH-TXQ", "The central warehouse (天下渠).")
wh_yy = _site("wh_yy", "WH-YY", "A warehouse of another organisation than the warehouse keeper's.")
hospital = _site("hospital", "FH-FCL", "The field hospital on Fuchang Road.")
elderly_home = _site("elderly_home", "EH-TY", "An elderly home (a recipient).")
street = _site("street", "SO-310113007", "A street office (a recipient).")


@pytest.fixture
def n95(base: None, system: SystemActor) -> Item:
    return catalog_actions.create_item(
        {
            "code": "N95",
            "name": "医用防护口罩",
            "unit": "盒",
            "category": Category.objects.get(code="EPI-MASK"),
            "standard": "GB 19083-2010",
            "reference_price": Decimal("250"),
        },
        actor=system,
    )
