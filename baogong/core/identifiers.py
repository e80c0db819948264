"""Identifier standards (FACTS.md §2): USCC, resident ID, drug approval and device numbers.

Each ``check_*`` function returns a :class:`Check`: ``ok`` with an empty ``reason``, or not ok
with a reason in Chinese and English; ``warnings`` never make a value invalid.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str = ""
    warnings: list[str] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)


def _bad(reason: str) -> Check:
    return Check(ok=False, reason=reason)


# --- 统一社会信用代码 GB 32100-2015 ------------------------------------------------------------
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
ORG_CODE_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    def value(c: str) -> int:
        return int(c) if c.isdigit() else ord(c) - ord("A") + 10

    c9 = 11 - sum(value(c) * w for c, w in zip(first8, ORG_CODE_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def check_uscc(value: str) -> Check:
    code = value.strip().upper()
    if len(code) != 18:
        return _bad(f"长度应为18位，实为{len(code)}位 / must be 18 characters, got {len(code)}")
    if not USCC_RE.match(code):
        return _bad("含有不允许的字符(I、O、Z、S、V 不可用) / contains characters outside the GB 32100 set")
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return _bad(f"校验码错误，应为 {expected} / check character should be {expected}")
    warnings = []
    if org_code_check_char(code[8:16]) != code[16]:
        warnings.append(
            "内嵌组织机构代码校验位不符，请到国家企业信用信息公示系统核实 / embedded organisation code check fails"
        )
    return Check(ok=True, warnings=warnings, info={"area": code[2:8], "registrar": code[0], "kind": code[1]})


# --- 公民身份号码 GB 11643-1999 ---------------------------------------------------------------
ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
ID_CHECK = "10X98765432"


def check_idcard(value: str, *, today: dt.date | None = None) -> Check:
    number = value.strip().upper()
    if len(number) != 18:
        return _bad(f"长度应为18位，实为{len(number)}位 / must be 18 characters, got {len(number)}")
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return _bad("前17位应为数字，末位为数字或X / 17 digits then a digit or X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return _bad("出生日期不是有效日期 / birth date is not a real date")
    if birth > (today or dt.date.today()) or birth.year < 1800:
        return _bad("出生日期不合理 / birth date is out of range")
    expected = ID_CHECK[sum(int(c) * w for c, w in zip(number[:17], ID_WEIGHTS, strict=True)) % 11]
    if number[17] != expected:
        return _bad(f"校验码错误，应为 {expected} / check character should be {expected}")
    sex = "male" if int(number[16]) % 2 else "female"
    return Check(ok=True, info={"area": number[:6], "birth_date": birth.isoformat(), "sex": sex})


def mask_idcard(value: str) -> str:
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_phone(value: str) -> str:
    digits = value.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


# --- 药品批准文号 ----------------------------------------------------------------------------
DRUG_CURRENT_RE = re.compile(r"^国药准字([HZS])(\d{4})(\d{4})$")
DRUG_HMT_IMPORT_RE = re.compile(r"^国药准字([HZS])([CJ])(\d{8})$")
DRUG_LEGACY_RE = re.compile(r"^国药准字([HZSBTFJ])(\d{2})(\d{2})(\d{4})$")
DRUG_KIND = {
    "H": "化学药品",
    "Z": "中药",
    "S": "生物制品",
    "B": "保健药品",
    "T": "体外化学诊断试剂",
    "F": "药用辅料",
    "J": "进口分包装",
}


def check_drug_approval(value: str) -> Check:
    number = value.strip().replace(" ", "")
    if number.startswith(("国食健字", "卫食健字")):
        return _bad("这是保健食品批准文号，不是药品 / a health-food number, not a drug approval")
    if "消" in number:
        return _bad("这是消毒产品(消字号)，不是药品 / a disinfection-product number, not a drug approval")
    if "械" in number:
        return _bad("这是医疗器械编号，不是药品 / a medical-device number, not a drug approval")
    if m := DRUG_HMT_IMPORT_RE.match(number):
        origin = "港澳台" if m.group(2) == "C" else "进口"
        return Check(ok=True, info={"kind": DRUG_KIND[m.group(1)], "origin": origin})
    if m := DRUG_CURRENT_RE.match(number):
        year = int(m.group(2))
        if 1900 <= year <= dt.date.today().year:
            return Check(ok=True, info={"kind": DRUG_KIND[m.group(1)], "year": str(year), "format": "2020"})
    if m := DRUG_LEGACY_RE.match(number):
        return Check(ok=True, info={"kind": DRUG_KIND[m.group(1)], "origin_code": m.group(2), "format": "2002"})
    if not number.startswith("国药准字"):
        return _bad("应以“国药准字”开头 / must start with 国药准字")
    return _bad("格式应为 国药准字 + H/Z/S + 8位数字 / expected 国药准字 + H/Z/S + 8 digits")


# --- 医疗器械注册证编号 / 备案编号 -----------------------------------------------------------------
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
DEVICE_REG_RE = re.compile(rf"^([国{PROVINCES}])械注([准进许])(\d{{4}})([123])(\d{{2}})(\d{{4}})$")
DEVICE_FILING_RE = re.compile(rf"^([国{PROVINCES}][\u4e00-\u9fff]?)械备(\d{{4}})(\d{{4,}})$")


@dataclass(frozen=True)
class DeviceNumber:
    authority: str
    origin: str
    year: int
    device_class: int
    category: str
    serial: str
    is_filing: bool


def parse_device_number(value: str) -> DeviceNumber | None:
    number = value.strip().replace(" ", "")
    if m := DEVICE_REG_RE.match(number):
        return DeviceNumber(m.group(1), m.group(2), int(m.group(3)), int(m.group(4)), m.group(5), m.group(6), False)
    if m := DEVICE_FILING_RE.match(number):
        return DeviceNumber(m.group(1), "备", int(m.group(2)), 1, "", m.group(3), True)
    return None


def check_device_registration(value: str) -> Check:
    parsed = parse_device_number(value)
    if parsed is None:
        return _bad("格式应为 ×械注准YYYY×××××××× 或 ×械备YYYY×××× / not a registration or filing number")
    info = {"class": str(parsed.device_class), "year": str(parsed.year), "category": parsed.category}
    if parsed.is_filing:
        return Check(
            ok=True,
            info=info | {"kind": "filing"},
            warnings=["第一类医疗器械备案，不是注册证 / class-I filing, not a registration"],
        )
    if parsed.year < 2000 or parsed.year > dt.date.today().year:
        return _bad("首次注册年份不合理 / first-registration year out of range")
    if parsed.authority == "国":
        if parsed.origin == "准" and parsed.device_class != 3:
            return _bad("国械注准 只用于第三类 / 国械注准 is for class III only")
        if parsed.device_class == 1:
            return _bad("第一类医疗器械实行备案，不发注册证 / class I devices are filed, not registered")
    else:
        if parsed.origin != "准":
            return _bad("进口或港澳台产品由国家局注册 / imported products are registered by NMPA (国)")
        if parsed.device_class != 2:
            return _bad("省级注册证只用于第二类 / provincial registrations are class II only")
    return Check(ok=True, info=info | {"kind": "registration"})


def antigen_kit_red_flags(number: str, *, registrant: str = "", expected_registrant: str = "") -> list[str]:
    """FACTS.md §2.5 red flags for a COVID-19 antigen kit's device number (empty when clean)."""
    flags: list[str] = []
    parsed = parse_device_number(number)
    if parsed is None:
        return ["编号格式无效 / number is not a valid device number"]
    if parsed.is_filing:
        flags.append("第一类备案编号：抗原试剂必须是第三类注册证 / class-I filing: antigen kits must be class III")
    else:
        if parsed.device_class != 3:
            flags.append("不是第三类 / not class III")
        if parsed.authority != "国":
            flags.append("不是国家药监局注册 / not registered by NMPA")
        if parsed.category != "40":
            flags.append("分类编码不是40(体外诊断试剂) / category is not 40 (IVD)")
    if parsed.year < 2020:
        flags.append("首次注册年份早于2020年 / first registered before 2020")
    if registrant and expected_registrant and registrant.strip() != expected_registrant.strip():
        flags.append("注册人与证书不符 / registrant does not match")
    return flags


CHECKERS: dict[str, Callable[[str], Check]] = {
    "uscc": check_uscc,
    "idcard": check_idcard,
    "drug-approval": check_drug_approval,
    "device-registration": check_device_registration,
}


# --- Django field validators ----------------------------------------------------------------
def _run(checker_name: str, value: str) -> None:
    if not value:
        return
    result = CHECKERS[checker_name](value)
    if not result.ok:
        raise ValidationError(result.reason, code="invalid_" + checker_name.replace("-", "_"))


def validate_uscc(value: str) -> None:
    _run("uscc", value)


def validate_idcard(value: str) -> None:
    _run("idcard", value)


def validate_drug_approval(value: str) -> None:
    _run("drug-approval", value)


def validate_device_registration(value: str) -> None:
    _run("device-registration", value)
