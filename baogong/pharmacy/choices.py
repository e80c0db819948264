from django.db import models
from django.utils.translation import gettext_lazy as _


class InsuranceClass(models.TextChoices):
    """The insurance list class of a drug: 甲类 (A), 乙类 (B) or not listed (C)."""

    A = "A", _("Class A (甲类)")
    B = "B", _("Class B (乙类)")
    C = "C", _("Not listed")


class SaleClass(models.TextChoices):
    """OTC 甲类 (red label), OTC 乙类 (green label) or prescription-only."""

    OTC_A = "otc_a", _("OTC class A (甲类)")
    OTC_B = "otc_b", _("OTC class B (乙类)")
    RX = "rx", _("Prescription only")


class DosageForm(models.TextChoices):
    TABLET = "tablet", _("Tablet")
    CAPSULE = "capsule", _("Capsule")
    GRANULE = "granule", _("Granules")
    ORAL_LIQUID = "oral_liquid", _("Oral liquid")
    INJECTION = "injection", _("Injection")
    OINTMENT = "ointment", _("Ointment or cream")
    EYE_DROPS = "eye_drops", _("Eye drops")
    SPRAY = "spray", _("Spray")
    PATCH = "patch", _("Patch")
    OTHER = "other", _("Other")


TOPICAL_FORMS = frozenset({DosageForm.OINTMENT, DosageForm.EYE_DROPS, DosageForm.SPRAY, DosageForm.PATCH})


class OnlineBan(models.TextChoices):
    """Why a drug may not be sold online: 药品网络销售禁止清单(第一版), FACTS.md §3.3."""

    NONE = "", _("Not banned")
    SPECIAL_CONTROL = (
        "special_control",
        _("Special-control drug (vaccine, blood product, narcotic, psychotropic, toxic, radioactive, precursor)"),
    )
    HOSPITAL_PREPARATION = "hospital_preparation", _("Hospital-made preparation")
    TCM_GRANULES = "tcm_granules", _("TCM dispensing granules")
    INJECTION = "injection", _("Injection (other than glucose-lowering)")
    EPHEDRINE_COMPOUND = "ephedrine_compound", _("Compound preparation containing ephedrine")
    NARCOTIC_COMPOUND = "narcotic_compound", _("Oral compound containing a narcotic or tramadol")
    DEXTROMETHORPHAN = "dextromethorphan", _("Single-ingredient oral dextromethorphan")
    DOPING = "doping", _("Anabolic agent or peptide hormone on the doping list")
    NAMED_LIST = "named_list", _("Named on the ban list")


# Single-ingredient drugs named in part (5) of the ban list (topical antibiotics excluded).
NAMED_BANNED_GENERICS = frozenset(
    {"地高辛", "华法林", "华法林钠", "米非司酮", "碳酸锂", "秋水仙碱", "伏立康唑", "利奈唑胺", "头孢地尼"}
)
ANTIBIOTICS_TOPICAL_ALLOWED = frozenset({"伏立康唑", "利奈唑胺", "头孢地尼"})

# 处方管理办法 (2007) and 长期处方管理规范(试行) (2021), FACTS.md §3.3.
PRESCRIPTION_VALID_DAYS = 3  # valid on the day issued, extendable to 3 days at most
NORMAL_MAX_SUPPLY_DAYS = 7
LONG_TERM_MAX_SUPPLY_DAYS = 84  # 12 weeks for chronic disease

RX_WARNING = "处方药须凭处方在药师指导下购买和使用"


class OrderChannel(models.TextChoices):
    ONLINE = "online", _("Online (resident)")
    PHONE = "phone", _("Phone (taken by staff)")


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Awaiting pharmacist review")
    READY = "ready", _("Approved and picked")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    DELIVERY_FAILED = "delivery_failed", _("Delivery failed, back in stock")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = frozenset({OrderStatus.PLACED, OrderStatus.READY, OrderStatus.OUT_FOR_DELIVERY})


class PrescriptionStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    USED = "used", _("Used (dispensed)")


class SettlementMethod(models.TextChoices):
    INSURANCE = "insurance", _("Insurance card")
    SELF_PAY = "self_pay", _("Self-paid")


class SettlementStatus(models.TextChoices):
    SETTLED = "settled", _("Settled")
    REFUNDED = "refunded", _("Refunded")
