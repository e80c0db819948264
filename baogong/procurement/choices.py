from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SupplierStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    SUSPENDED = "suspended", _("Suspended")
    BLACKLISTED = "blacklisted", _("Blacklisted")


class LicenceKind(models.TextChoices):
    BUSINESS = "business", _("Business licence (营业执照)")
    DEVICE_BUSINESS = "device_business", _("Medical device business licence (医疗器械经营许可证)")
    DEVICE_FILING = "device_filing", _("Medical device business filing (医疗器械经营备案凭证)")
    DRUG_BUSINESS = "drug_business", _("Drug business licence (药品经营许可证)")
    FOOD_BUSINESS = "food_business", _("Food business licence (食品经营许可证)")


class SupplyCategory(models.TextChoices):
    """What a supplier may supply; each needs the licences in ``CATEGORY_LICENCES``."""

    FOOD = "food", _("Food and daily necessities")
    PROTECTIVE = "protective", _("Protective equipment (medical devices)")
    IVD = "ivd", _("Test kits (in-vitro diagnostics)")
    DRUG = "drug", _("Medicines")
    DISINFECTANT = "disinfectant", _("Disinfectants")
    GENERAL = "general", _("General goods")


# Every category needs a business licence; regulated ones need one of the listed licences too.
CATEGORY_LICENCES: dict[str, list[list[str]]] = {
    SupplyCategory.FOOD: [[LicenceKind.BUSINESS], [LicenceKind.FOOD_BUSINESS]],
    SupplyCategory.PROTECTIVE: [[LicenceKind.BUSINESS], [LicenceKind.DEVICE_BUSINESS, LicenceKind.DEVICE_FILING]],
    SupplyCategory.IVD: [[LicenceKind.BUSINESS], [LicenceKind.DEVICE_BUSINESS]],
    SupplyCategory.DRUG: [[LicenceKind.BUSINESS], [LicenceKind.DRUG_BUSINESS]],
    SupplyCategory.DISINFECTANT: [[LicenceKind.BUSINESS]],
    SupplyCategory.GENERAL: [[LicenceKind.BUSINESS]],
}


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Requisition (draft)")
    PENDING_APPROVAL = "pending_approval", _("Awaiting approval")
    APPROVED = "approved", _("Ordered")
    PARTIALLY_RECEIVED = "partially_received", _("Partially received")
    RECEIVED = "received", _("Received")
    REJECTED = "rejected", _("Rejected")
    BLOCKED = "blocked", _("Blocked")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_ORDER_STATUSES = [
    OrderStatus.DRAFT,
    OrderStatus.PENDING_APPROVAL,
    OrderStatus.APPROVED,
    OrderStatus.PARTIALLY_RECEIVED,
]

PLACED_ORDER_STATUSES = [OrderStatus.APPROVED, OrderStatus.PARTIALLY_RECEIVED, OrderStatus.RECEIVED]


class InspectionDecision(models.TextChoices):
    RELEASE = "release", pgettext_lazy("qc decision", "Release")
    QUARANTINE = "quarantine", pgettext_lazy("qc decision", "Quarantine")
    REJECT = "reject", pgettext_lazy("qc decision", "Reject")


class SampleResult(models.TextChoices):
    NOT_TESTED = "not_tested", _("Not tested")
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


# Catalog category code (or an ancestor's) → the supply category whose licences it needs.
CATALOG_SUPPLY_CATEGORY: dict[str, str] = {
    "MED-DEV-IVD": SupplyCategory.IVD,
    "MED-DEV": SupplyCategory.PROTECTIVE,
    "EPI-MASK": SupplyCategory.PROTECTIVE,
    "EPI-GOWN": SupplyCategory.PROTECTIVE,
    "EPI-DISINF": SupplyCategory.DISINFECTANT,
    "EPI": SupplyCategory.PROTECTIVE,
    "DRUG": SupplyCategory.DRUG,
    "LIFE": SupplyCategory.FOOD,
    "AGRI": SupplyCategory.GENERAL,
    "FUEL": SupplyCategory.GENERAL,
}

# NMPA's first antigen-kit registrations (FACTS.md §2.5): number → registrant.
NMPA_ANTIGEN_REGISTRANTS: dict[str, str] = {
    "国械注准20203400830": "广州万孚生物技术股份有限公司",
    "国械注准20203400831": "北京金沃夫生物工程科技有限公司",
    "国械注准20203400940": "深圳华大因源医药科技有限公司",
    "国械注准20223400308": "北京华科泰生物技术股份有限公司",
    "国械注准20223400346": "南京诺唯赞医疗科技有限公司",
    "国械注准20223400347": "天津博奥赛斯生物科技股份有限公司",
    "国械注准20223400348": "北京热景生物技术股份有限公司",
    "国械注准20223400349": "重庆明道捷测生物科技有限公司",
    "国械注准20223400350": "北京乐普诊断科技股份有限公司",
    "国械注准20223400351": "北京万泰生物药业股份有限公司",
}
