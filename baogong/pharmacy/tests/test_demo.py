"""The demo loader goes through the real actions and can run twice."""

from baogong.inventory.queries import available
from baogong.orgs.models import Site
from baogong.pharmacy.demo_data import DRUGS, load_pharmacy_demo
from baogong.pharmacy.models import Drug, FeeSchedule


def test_demo_loads_drugs_and_pharmacy_stock_idempotently(base):
    first = load_pharmacy_demo(units=5)
    assert first["drugs"] == len(DRUGS) == Drug.objects.count()
    pharmacies = list(Site.objects.filter(kind="pharmacy").values_list("pk", flat=True))
    assert len(pharmacies) == 22
    stock = available(pharmacies, Drug.objects.values_list("item_id", flat=True))
    assert first["lots"] == len(stock) and set(stock.values()) == {5}
    assert 0 < first["lots"] < 22 * len(DRUGS)  # some gaps on purpose
    assert load_pharmacy_demo(units=5) == {"drugs": len(DRUGS), "lots": 0}
    assert FeeSchedule.objects.count() == 1
    banned = {d.item.code for d in Drug.objects.select_related("item") if d.is_banned_online}
    assert banned == {"YP-CEFT", "YP-WARF"}
