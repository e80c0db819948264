from django.db import models
from django.utils.translation import gettext_lazy as _


class Storage(models.TextChoices):
    NORMAL = "normal", _("Normal")
    COLD_CHAIN = "cold_chain", _("Cold chain")


class RegulatoryKind(models.TextChoices):
    NONE = "", _("None")
    DRUG = "drug", _("Drug approval number")
    DEVICE = "device", _("Medical device registration number")


# The standard category tree: (code, name, name_en, parent code, regulatory kind).
CATEGORY_TREE: list[tuple[str, str, str, str | None, str]] = [
    ("EPI", "防疫物资", "Epidemic-control goods", None, ""),
    ("EPI-MASK", "口罩", "Masks", "EPI", ""),
    ("EPI-GOWN", "防护服", "Protective gowns", "EPI", ""),
    ("EPI-DISINF", "消毒用品", "Disinfectants", "EPI", ""),
    ("MED-DEV", "医疗器械", "Medical devices", None, "device"),
    ("MED-DEV-IVD", "体外诊断试剂", "In-vitro diagnostics (antigen kits)", "MED-DEV", "device"),
    ("DRUG", "药品", "Drugs", None, "drug"),
    ("LIFE", "生活物资", "Daily necessities", None, ""),
    ("LIFE-FOOD", "粮油肉禽蛋菜奶", "Grain, oil, meat, poultry, eggs, vegetables, milk", "LIFE", ""),
    ("LIFE-GRAIN", "粮油", "Grain and edible oil", "LIFE-FOOD", ""),
    ("LIFE-MEAT", "肉禽蛋", "Meat, poultry and eggs", "LIFE-FOOD", ""),
    ("LIFE-VEG", "蔬菜", "Vegetables", "LIFE-FOOD", ""),
    ("LIFE-MILK", "奶制品", "Milk", "LIFE-FOOD", ""),
    ("LIFE-WATER", "饮用水", "Drinking water", "LIFE", ""),
    ("LIFE-BUNDLE", "保供套餐", "Supply bundles", "LIFE", ""),
    ("AGRI", "农资", "Farm inputs", None, ""),
    ("FUEL", "燃油", "Fuel", None, ""),
]
