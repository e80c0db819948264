"""Baoshan base data: streets and towns, the group's enterprises and sites, district bodies.

Sources: the article (``shared/seed``) and FACTS.md §4. Coordinates of towns are approximate
(±1–2 km, FACTS.md marks them [U]); sites are placed near their town centre.
"""

from __future__ import annotations

DISTRICT = ("310113", "宝山区", 31.405, 121.489)

# (code, name, level, lat, lon) — GB/T 2260 district code + 3-digit street/town code.
AREAS = [
    ("310113003", "友谊路街道", "street", 31.405, 121.487),
    ("310113007", "吴淞街道", "street", 31.378, 121.497),
    ("310113008", "张庙街道", "street", 31.340, 121.443),
    ("310113101", "罗店镇", "town", 31.412, 121.340),
    ("310113102", "大场镇", "town", 31.307, 121.410),
    ("310113103", "杨行镇", "town", 31.383, 121.436),
    ("310113104", "月浦镇", "town", 31.425, 121.430),
    ("310113106", "罗泾镇", "town", 31.467, 121.357),
    ("310113109", "顾村镇", "town", 31.350, 121.380),
    ("310113111", "高境镇", "town", 31.322, 121.486),
    ("310113112", "庙行镇", "town", 31.323, 121.447),
    ("310113113", "淞南镇", "town", 31.342, 121.487),
]

# Places outside the district that goods go to (code, name, level, lat, lon): a vehicle pass for
# them names the area, like a Baoshan street (一车一证一线路; 南方公司's runs to Zhangjiagang).
OUTSIDE_AREAS = [("320582", "江苏省张家港市", "other", 31.875, 120.556)]

# (code, name, short name, kind, parent code, is group member)
ORGANISATIONS = [
    ("BSGX", "上海市宝山区供销合作总社", "宝山供销社", "cooperative", None, True),
    ("BYJT", "上海北翼(集团)有限公司", "北翼集团", "enterprise", "BSGX", True),
    ("BYJT-BG", "北翼集团保供小组", "北翼保供小组", "department", "BYJT", True),
    ("YYGS", "上海宝山医药有限公司", "医药公司", "enterprise", "BSGX", True),
    ("YYGS-LS", "医药公司零售药店部", "零售药店部", "department", "YYGS", True),
    ("CYGS", "上海宝山储运有限公司", "储运公司", "enterprise", "BSGX", True),
    ("CYGS-ZX", "储运公司装卸队", "装卸队", "department", "CYGS", True),
    ("CXGS", "上海长兴供销有限公司", "长兴公司", "enterprise", "BSGX", True),
    ("NZGS", "上海宝山农资有限公司", "农资公司", "enterprise", "BSGX", True),
    ("NFGS", "上海南方供销有限公司", "南方公司", "enterprise", "BSGX", True),
    ("HSGS", "上海华森实业有限公司", "华森公司", "enterprise", "BSGX", True),
    ("HKL", "上海沪客隆商业有限公司", "沪客隆", "enterprise", "BSGX", True),
    ("JDGL", "宝山供销酒店管理有限公司", "酒店管理公司", "enterprise", "BSGX", True),
    ("TYYL", "上海月浦恬逸养老院", "恬逸养老院", "enterprise", "BSGX", True),
    ("BSZF", "上海市宝山区人民政府", "宝山区政府", "government", None, False),
    ("BSZF-JW", "宝山区经济委员会", "区经委", "government", "BSZF", False),
    ("BSZF-WJW", "宝山区卫生健康委员会", "区卫健委", "government", "BSZF", False),
    ("BSZF-NYW", "宝山区农业农村委员会", "区农业农村委", "government", "BSZF", False),
    ("BSZF-GZW", "宝山区国有资产监督管理委员会", "区国资委", "government", "BSZF", False),
    ("BSZF-SWW", "宝山区商务委员会", "区商务委", "government", "BSZF", False),
    ("BSZF-ZZB", "中共宝山区委组织部", "区委组织部", "government", "BSZF", False),
    ("POSCO-ZJG", "张家港浦项不锈钢有限公司", "浦项不锈钢", "external", None, False),
]

# (code, name, kind, organisation code, area code, address, lat, lon, headcount)
SITES = [
    ("WH-TXQ", "泰兴桥大仓", "warehouse", "CYGS", "310113109", "泰兴桥物流园", 31.3460, 121.4050, None),
    ("WH-YY", "医药公司物资仓库", "warehouse", "YYGS", "310113103", "杨行镇医药仓库", 31.3870, 121.4300, None),
    ("WH-BY", "北翼集团配送仓", "warehouse", "BYJT", "310113102", "大场镇物流点", 31.3100, 121.4150, None),
    ("FS-FH", "凤凰加油站", "fuel_station", "CXGS", None, "长兴岛凤凰镇", 31.3850, 121.7000, None),
    ("FS-CD", "彩达加油站", "fuel_station", "CXGS", None, "长兴岛潘园公路", 31.3970, 121.7350, None),
    ("HT-WYN", "维也纳酒店吴淞店(隔离酒店)", "hotel", "JDGL", "310113007", "吴淞街道", 31.3800, 121.4950, 120),
    ("HT-QJ", "全季酒店水产路店(保供人员住宿)", "hotel", "JDGL", "310113007", "水产路", 31.3750, 121.4880, 80),
    ("EH-TY", "月浦恬逸养老院", "elderly_home", "TYYL", "310113104", "月浦镇", 31.4260, 121.4280, 160),
    ("IP-HKL", "沪客隆隔离点", "isolation_point", "HKL", "310113103", "杨行镇", 31.3850, 121.4400, 60),
    ("FH-FCL", "富长路方舱医院", "field_hospital", "BSZF-WJW", "310113109", "富长路", 31.3480, 121.3750, 3000),
    ("FH-MPL", "湄浦路方舱医院", "field_hospital", "BSZF-WJW", "310113101", "湄浦路", 31.4100, 121.3450, 2000),
    ("FC-NZ", "农资公司蔬菜合作社", "farm_cooperative", "NZGS", "310113106", "罗泾镇", 31.4680, 121.3600, 40),
    ("CV-BY", "北翼商城", "commercial_venue", "BYJT", "310113003", "友谊路", 31.4050, 121.4870, None),
    ("CU-POSCO", "浦项不锈钢(张家港)", "customer", "POSCO-ZJG", "320582", "江苏省张家港市", 31.9600, 120.5400, None),
    ("GB-JW", "宝山区经济委员会", "government_bureau", "BSZF-JW", "310113003", "密山路5号", 31.4040, 121.4890, None),
    (
        "GB-WJW",
        "宝山区卫生健康委员会",
        "government_bureau",
        "BSZF-WJW",
        "310113003",
        "密山路5号",
        31.4045,
        121.4895,
        None,
    ),
    (
        "GB-NYW",
        "宝山区农业农村委员会",
        "government_bureau",
        "BSZF-NYW",
        "310113003",
        "密山路5号",
        31.4042,
        121.4885,
        None,
    ),
    ("GB-GZW", "宝山区国资委", "government_bureau", "BSZF-GZW", "310113003", "密山路5号", 31.4038, 121.4892, None),
    ("GB-SWW", "宝山区商务委员会", "government_bureau", "BSZF-SWW", "310113003", "密山路5号", 31.4046, 121.4888, None),
]

# Every street/town office is a recipient site of the district government.
STREET_OFFICE_HEADCOUNT = 100_000

PHARMACY_AREAS = [
    "310113003",
    "310113003",
    "310113007",
    "310113007",
    "310113008",
    "310113008",
    "310113101",
    "310113101",
    "310113102",
    "310113102",
    "310113103",
    "310113103",
    "310113104",
    "310113104",
    "310113106",
    "310113109",
    "310113109",
    "310113111",
    "310113111",
    "310113112",
    "310113113",
    "310113113",
]
