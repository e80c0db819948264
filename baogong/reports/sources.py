"""How each report figure is presented: its source as a sentence (the records it counts and the
page that lists them), and money in the forms people read (¥ with thousands separators, 万元).

The figures (``figures.py``, ``daily.py``) keep a technical ``query`` for auditors (the Excel
footnotes); pages, Markdown and PDF show the sentence from here. Every registered figure must
have one (``tests/test_sources.py``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

YUAN = "元"
WAN = Decimal(10_000)

SOURCES: dict[str, str] = {
    "delivered_items_bureaus_towns": "期间送达（或已结单）给各委办局和街镇的发运单明细中，签收数量之和。",
    "delivered_value_bureaus_towns": "同一批发运单明细的签收数量乘以物资单位成本，按分四舍五入后相加。",
    "delivered_value_all": "期间送达给所有收货单位的发运单明细，签收数量乘以单位成本后相加。",
    "donations_received": "期间入库的无偿（零成本）捐赠批次中，经质检放行的数量之和；验收拒收的不计。",
    "food_to_tenants_and_sites": "期间送达给承租商户、第三方公司和项目工地（配送点）的生活物资（粮油、蔬菜等）签收数量之和。",
    "customer_orders_delivered": "期间送达给企业客户（华森公司客户、浦项等）的发运单明细，签收数量乘以单位成本后相加。",
    "field_hospital_costs": "方舱医院保供任务中、期间内日期的已审核费用明细，金额相加。",
    "mission_costs": "您可见的全部保供任务中、期间内日期的已审核费用明细，金额相加。",
    "pharmacy_orders_served": "您可见的药房订单中，期间内送达居民的订单数。",
    "fuel_served": "您可见的各加油站每天的日报中，绿色通道加油升数之和。",
    "relief_approved": "截至期末已提交、目前状态为“已批准”的租金减免申请数（每家企业或商户一份）。",
    "health_tests": "期间内（按本地日期）登记的保供人员（职工和志愿者）核酸和抗原检测记录数；隔离宾客和养老院老人的检测不计。",
    "health_positives": "同一批检测记录中结果为阳性的记录数。",
    "lodging_stays": "期间在隔离酒店、保供人员住宿酒店、隔离点和养老院办理入住的记录数（人次）。",
    "meals_served": "期间各住宿场所登记的早餐、午餐、晚餐份数之和。",
    "incidents_opened": "期间内（按本地日期）开立的疫情事件数。",
    "playbook_steps_done": "期间内勾选完成的疫情处置清单事项数。",
    "playbook_steps_open": "期末仍未结束的疫情事件中，处置清单尚未完成的事项数。",
    "people_on_duty": "与期间有交集的保供、生产、经营和值守岗位派遣记录中的不同人员数。",
    "volunteer_person_times": "与期间有交集的志愿服务派遣记录数（人次），批次按不同批次计。",
    "posts_published": "期间内发布的本单位网页新闻、微信推送等宣传记录数。",
    "post_reads": "同一批本单位宣传记录登记的阅读量之和。",
    "media_coverage": "期间内登记的外部媒体主题报道数。",
    "venue_inspections": "期间内复商复市的完整检查次数（复查不计）。",
    "venue_compliance_rate": "同一批检查中合格的检查项数除以检查项总数，乘以100。",
    "sites_not_normal": "场所状态变更记录中，期间任一时刻不是“正常”的场所（按当时的状态，而不是今天的状态）。",
    "held_dispatches": "期间内被拒绝的装车和发运记录（原因随记录保存）。",
    "recalled_lots": "期间内登记的疑似假冒批次，及同供应商同品种被一并隔离的批次。",
    "unmet_demand": "期末已提交、未被驳回或取消的需求申请，批准数量减去已发运数量，按收货单位优先级汇总。",
    "days_of_cover": "期末各仓库在库数量，除以近7日日均申请数量。",
}
DEFAULT_SOURCE = "见明细页面列出的记录。"


def source_of(figure: Any) -> str:
    """The sentence that says where ``figure`` comes from."""
    return SOURCES.get(figure.key, DEFAULT_SOURCE)


def yuan(value: Decimal | int) -> str:
    """Money in a sentence: 3,110.00万元 from ten thousand yuan up, else 1,234.56元."""
    amount = Decimal(value)
    if abs(amount) >= WAN:
        return f"{amount / WAN:,.2f}万元"
    return f"{amount:,.2f}元"


def display_value(figure: Any) -> str:
    """A figure's value for a table cell: ¥31,100,000.00（3,110.00万元）, 1,325 件, 98.5 %."""
    value = figure.value
    if figure.unit == YUAN:
        amount = Decimal(value)
        text = f"¥{amount:,.2f}"
        return f"{text}（{amount / WAN:,.2f}万元）" if abs(amount) >= WAN else text
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return f"{value:,} {figure.unit}"
    return f"{int(value):,} {figure.unit}"
