"""BAOGONG_TEST_CLOCK: the documented way to run the suite on another date or at another hour."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from baogong.core.testclock import SHANGHAI, offset_seconds

pytestmark = pytest.mark.clock_free  # no clock read: left out of the moved-clock pass (make test-clock)
NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)  # 20:00 in Shanghai


@pytest.mark.parametrize(
    ("spec", "seconds"),
    [
        ("+1y", 365 * 86400),
        ("-1y", -365 * 86400),
        ("+30d", 30 * 86400),
        ("-12h", -12 * 3600),
        ("23:59", 3 * 3600 + 59 * 60),  # later today in Shanghai
        ("06:00", 10 * 3600),  # already past today: tomorrow's
        ("2027-01-01T00:00:00+08:00", (dt.datetime(2027, 1, 1, tzinfo=SHANGHAI) - NOW).total_seconds()),
        ("+1y@23:59", 365 * 86400 + 3 * 3600 + 59 * 60),  # 2027-12-05 23:59 in Shanghai
        ("-1y@06:00", -365 * 86400 + 10 * 3600),  # 2025-12-05 20:00 there, so the next morning's
    ],
)
def test_specs_become_offsets_from_the_real_clock(spec, seconds):
    assert offset_seconds(spec, NOW) == seconds


def test_a_bad_spec_says_what_to_write():
    with pytest.raises(ValueError, match=r"\+1y"):
        offset_seconds("next tuesday", NOW)
    with pytest.raises(ValueError, match=r"\+1y@23:59"):
        offset_seconds("+1y@noon", NOW)


def _now_in_child(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in {"BAOGONG_TEST_CLOCK", "BAOGONG_CLOCK_OFFSET"}}
    code = "import django; django.setup(); from django.utils import timezone; print(timezone.localtime().isoformat())"
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "baogong.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_process_started_with_the_variable_lives_on_the_moved_clock_and_production_refuses_it():
    moved = _now_in_child(BAOGONG_TEST_CLOCK="2031-07-01T23:59:00+08:00")
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.startswith("2031-07-01T23:59")

    refused = _now_in_child(BAOGONG_TEST_CLOCK="+1y", BAOGONG_PRODUCTION="1", SECRET_KEY="k" * 50)
    assert refused.returncode != 0 and "production refuses" in refused.stderr
