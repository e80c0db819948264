from baogong.procurement import queries
from baogong.procurement.demo_data import load_procurement_demo
from baogong.procurement.models import CounterfeitCase, PurchaseOrder, Supplier


def test_demo_tells_the_counterfeit_story_once(base, media):
    assert load_procurement_demo()["suppliers"] == 5
    suda = Supplier.objects.get(name="上海速达商贸有限公司")
    assert suda.status == "suspended"
    case = CounterfeitCase.objects.get()
    assert case.lot.batch == "SD220328"
    rows = queries.recall_rows(case)
    assert sorted((r.site_code, r.qty) for r in rows) == [("EH-TY", 15), ("FH-FCL", 40), ("IP-HKL", 10)]
    assert PurchaseOrder.objects.filter(status="blocked").count() == 1
    assert PurchaseOrder.objects.filter(needs_review=True).count() == 1
    assert Supplier.objects.get(name="上海新晟贸易有限公司").uscc_warnings != []
    assert load_procurement_demo() == {"suppliers": 0}
    assert Supplier.objects.count() == 5
