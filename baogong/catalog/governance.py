"""An item's reference price changes only when another person approves (``orgs.governance``)."""

from baogong.catalog.actions import apply_price_change
from baogong.catalog.models import Item
from baogong.orgs.governance import Governed

GOVERNED = [Governed(Item, ("reference_price",), apply=apply_price_change, new_records=False)]
