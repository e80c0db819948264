import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from baogong.core.identifiers import (
    USCC_CHARSET,
    antigen_kit_red_flags,
    check_device_registration,
    check_drug_approval,
    check_idcard,
    check_uscc,
    mask_idcard,
    mask_phone,
    uscc_check_char,
)


def test_uscc_examples_from_facts_pass():
    for code in [
        "91310113MA1FL2KQ20",
        "92310113MA1K3B7C6G",
        "91310000132209535Y",
        "914403001922038216",
        "91440300708461136T",
    ]:
        assert check_uscc(code).ok, code


def test_uscc_wrong_check_character_names_the_right_one():
    result = check_uscc("91310113MA1FL2KQ21")
    assert not result.ok
    assert "应为 0" in result.reason and "should be 0" in result.reason


def test_uscc_forbidden_letters_and_length_are_rejected():
    assert not check_uscc("91310113MA1FL2KQ2").ok
    assert "字符" in check_uscc("91310113MA1FL2KQ2O").reason


def test_uscc_bad_embedded_org_code_is_a_warning_not_a_rejection():
    # valid GB 32100 check character, but the embedded GB 11714 org code's own check fails
    result = check_uscc("91310113MA1FL2KQ0R")
    assert result.ok
    assert result.warnings


@given(st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17).filter(lambda s: s[2:8].isdigit()))
def test_uscc_any_code_with_computed_check_character_passes_and_any_other_fails(body):
    good = body + uscc_check_char(body)
    assert check_uscc(good).ok
    for other in USCC_CHARSET:
        if other != good[-1]:
            assert not check_uscc(body + other).ok


def test_idcard_examples_and_failures():
    assert check_idcard("11010519491231002X").ok
    assert check_idcard("440524188001010014").ok
    assert check_idcard("310113198001010013").ok
    assert check_idcard("310113199212310029").ok
    assert not check_idcard("310113198002300013").ok  # Feb 30th
    bad = check_idcard("310113198001010014")
    assert not bad.ok and "校验码" in bad.reason


def test_masking_keeps_only_the_ends():
    assert mask_idcard("310113198001010013") == "310***********0013"
    assert mask_phone("13812345678") == "138****5678"


def test_drug_approval_formats_and_red_flags():
    assert check_drug_approval("国药准字H20041126").ok
    assert check_drug_approval("国药准字HJ20170001").ok
    assert not check_drug_approval("国食健字G20050123").ok
    assert not check_drug_approval("卫消证字(2020)第0001号").ok
    assert not check_drug_approval("国药准字X2004112").ok


def test_device_registration_rules():
    assert check_device_registration("国械注准20223400308").ok
    assert check_device_registration("沪械注准20202140123").ok
    assert not check_device_registration("国械注准20222400308").ok  # 国+准 must be class III
    assert not check_device_registration("沪械注进20202140123").ok  # imports are registered by NMPA
    filing = check_device_registration("沪宝械备20200012")
    assert filing.ok and filing.warnings


def test_antigen_kit_red_flags():
    assert antigen_kit_red_flags("国械注准20223400308") == []
    flags = antigen_kit_red_flags("沪宝械备20200012")
    assert any("第一类" in f for f in flags)
    assert any("2020" in f for f in antigen_kit_red_flags("国械注准20193400308"))


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "baogong.cli", *args], capture_output=True, text=True, check=False)


def test_validate_command_prints_one_line_per_value_and_exit_code():
    ok = run_cli("validate", "uscc", "91310113MA1FL2KQ20", "914403001922038216")
    assert ok.returncode == 0
    assert ok.stdout.splitlines() == ["91310113MA1FL2KQ20\tok", "914403001922038216\tok"]
    bad = run_cli("validate", "idcard", "11010519491231002X", "310113198001010014")
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert lines[0] == "11010519491231002X\tok"
    assert lines[1].startswith("310113198001010014\tinvalid: ")
    drug = run_cli("validate", "drug-approval", "国药准字H20041126")
    assert drug.returncode == 0 and drug.stdout == "国药准字H20041126\tok\n"
    device = run_cli("validate", "device-registration", "国械注准20222400308")
    assert device.returncode == 1 and "\tinvalid: " in device.stdout
