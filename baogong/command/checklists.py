"""The default reopening (复商复市) checklist, after FACTS.md §5 and the 2022 whitelist rules."""

DEFAULT_TEMPLATE = ("FSFS-2022", "复商复市防疫检查表（2022）")

# (code, check)
DEFAULT_ITEMS = [
    ("disinfection", "公共区域及高频接触点位按时消毒并有记录"),
    ("entrance", "出入口管控与人流引导（单向通行、一米线）"),
    ("capacity", "限流：在场人数不超过核定容量"),
    ("pickup", "设置无接触取货点"),
    ("venue_code", "张贴场所码或配置数字哨兵（同一点位二选一）"),
    ("staff_testing", "员工按“2+2”频次检测并有记录"),
    ("training", "员工完成防疫培训"),
]
