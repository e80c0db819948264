#!/usr/bin/env python
"""Screenshots for the user guide (``docs/guide/img/``), taken from a server running on the demo data.

    .venv/bin/python scripts/guide_screenshots.py [--database /tmp/guide.sqlite3] [--days 60]
                                                  [--only NAME ...] [--labels labels.json]

When the SQLite file does not exist it is built first, with the commands a newcomer runs:
``baogong migrate``, ``baogong bootstrap`` and ``baogong demo --scenario baoshan-2022 --days N``
(the 60-day replay takes a few minutes). A server (``baogong runserver --noreload``) is then
started on it and Playwright, driving Debian's Chromium (``/usr/bin/chromium``), logs in as each
demo account and saves desktop (1366 px) and phone (390 px) screenshots, in Chinese, named
``<role>-<page>.png`` (phone shots end in ``-phone``). ``--labels`` writes the headings, buttons
and links each page showed, which the guide's wording was checked against.

Nothing is written to the database except the logins' sessions: the pages are only visited.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
OUT = ROOT / "docs" / "guide" / "img"
CHROMIUM = os.environ.get("BAOGONG_CHROMIUM", "/usr/bin/chromium")
PASSWORD = os.environ.get("BAOGONG_DEMO_PASSWORD", "baogong-demo")
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
PERIOD = "from=2022-04-01&to=2022-05-31"


@dataclass(frozen=True)
class Shot:
    name: str
    user: str | None  # None: a page without login (resident, receiver)
    path: Callable[[], str] | str
    phone: bool = False
    full_page: bool = False


def _first(model: str, **filters: Any) -> Any:
    from django.apps import apps

    app_label, name = model.split(".")
    qs = apps.get_model(app_label, name).objects.filter(**filters).order_by("-pk")
    obj = qs.first()
    if obj is None:
        raise LookupError(f"no {model} with {filters}")
    return obj


def _pk(model: str, url: str, **filters: Any) -> Callable[[], str]:
    return lambda: url.format(pk=_first(model, **filters).pk)


def _station() -> str:
    return f"/fleet/stations/{_first('orgs.Site', code='FS-FH').pk}/?date=2022-04-15"


# Each role's home (its task inbox): taken on a database that has only run `baogong bootstrap`, whose
# demo workday is dated the day it runs (the replay afterwards would do that work):
#   baogong migrate && baogong bootstrap   (DATABASE_URL=sqlite:////tmp/homes.sqlite3), then
#   scripts/guide_screenshots.py --database /tmp/homes.sqlite3 --only $(… the names below)
HOMES = [
    Shot(f"{role}-home", role, "/")
    for role in (
        "warehouse",
        "procurement",
        "qc",
        "dispatcher",
        "pharmacist",
        "health",
        "property",
        "tenant",
        "fuel",
        "auditor",
    )
] + [Shot("commander-home", "commander", "/"), Shot("fuel-home-phone", "fuel", "/", phone=True)]

SHOTS = [
    *HOMES,
    # 指挥中心 commander
    Shot("commander-dashboard", "commander", "/"),
    Shot("commander-requests", "commander", "/distribution/requests/"),
    Shot("commander-allocation", "commander", "/distribution/allocation/"),
    Shot("commander-allocation-run", "commander", _pk("distribution.AllocationRun", "/distribution/allocation/{pk}/")),
    Shot("commander-summary", "commander", f"/reports/summary/?{PERIOD}", full_page=True),
    Shot("commander-daily", "commander", "/reports/daily/?date=2022-04-20"),
    Shot("commander-missions", "commander", "/finance/missions/"),
    Shot("commander-posts", "commander", "/command/posts/"),
    Shot("commander-dashboard-phone", "commander", "/", phone=True),
    # 仓管 warehouse keeper
    Shot("warehouse-stock", "warehouse", "/inventory/"),
    Shot("warehouse-receive", "warehouse", "/inventory/receive/"),
    Shot("warehouse-shipments", "warehouse", "/distribution/shipments/"),
    Shot(
        "warehouse-picklist",
        "warehouse",
        _pk("distribution.Shipment", "/distribution/shipments/{pk}/picklist/", status="closed"),
    ),
    Shot("warehouse-expiry", "warehouse", "/inventory/expiry/"),
    Shot("warehouse-stock-phone", "warehouse", "/inventory/", phone=True),
    # 采购 procurement
    Shot("procurement-orders", "procurement", "/procurement/orders/"),
    Shot("procurement-order", "procurement", _pk("procurement.PurchaseOrder", "/procurement/orders/{pk}/")),
    Shot("procurement-suppliers", "procurement", "/procurement/suppliers/"),
    Shot("procurement-scorecard", "procurement", "/procurement/scorecard/"),
    # 质检 QC inspector
    Shot("qc-inspections", "qc", "/procurement/inspections/"),
    Shot("qc-recalls", "qc", "/procurement/recalls/"),
    Shot("qc-recall", "qc", _pk("procurement.CounterfeitCase", "/procurement/recalls/{pk}/")),
    Shot("qc-blacklist", "qc", "/procurement/blacklist/"),
    # 调度 dispatcher
    Shot("dispatcher-shipments", "dispatcher", "/distribution/shipments/"),
    Shot("dispatcher-shipment", "dispatcher", _pk("distribution.Shipment", "/distribution/shipments/{pk}/")),
    Shot("dispatcher-plans", "dispatcher", "/fleet/plans/"),
    Shot("dispatcher-vehicles", "dispatcher", "/fleet/vehicles/"),
    Shot("dispatcher-vehicle", "dispatcher", _pk("fleet.Vehicle", "/fleet/vehicles/{pk}/", plate="沪B10000")),
    # 司机 driver
    Shot("driver-home-phone", "driver", "/", phone=True),
    Shot("driver-plans-phone", "driver", "/fleet/plans/", phone=True),
    # 收货人 receiver (no login): the QR page only opens for a shipment on its way, and the replay
    # delivers everything the day it leaves; the end-to-end run's docs/screenshots/delivery-phone.png
    # shows it.
    # 药师 pharmacist
    Shot("pharmacist-orders", "pharmacist", "/pharmacy/orders/"),
    Shot("pharmacist-order", "pharmacist", _pk("pharmacy.Order", "/pharmacy/orders/{pk}/", status="delivered")),
    Shot("pharmacist-phone-order", "pharmacist", "/pharmacy/phone-order/"),
    Shot("pharmacist-reports", "pharmacist", "/pharmacy/reports/"),
    # 居民 resident (no login)
    Shot("resident-order-phone", None, "/pharmacy/order/", phone=True),
    Shot("resident-check-in-phone", None, "/people/check-in/", phone=True),
    # 健康专员 health officer
    Shot("health-dashboard", "health", "/people/dashboard/"),
    Shot("health-incidents", "health", "/people/incidents/"),
    Shot("health-incident", "health", _pk("people.Incident", "/people/incidents/{pk}/")),
    Shot("health-people", "health", "/people/"),
    Shot("health-deployments", "health", "/people/deployments/"),
    # 物业 property staff
    Shot("property-applications", "property", "/property/"),
    Shot(
        "property-application",
        "property",
        _pk("property.ReliefApplication", "/property/applications/{pk}/", status="approved"),
    ),
    Shot("property-progress", "property", "/property/progress/"),
    Shot("property-leases", "property", "/property/leases/"),
    Shot("property-inspections", "property", "/command/inspections/"),
    Shot("property-inspection", "property", _pk("command.Inspection", "/command/inspections/{pk}/", follows=None)),
    # 租户 tenant
    Shot("tenant-portal-phone", "tenant", "/property/portal/", phone=True),
    Shot("tenant-portal", "tenant", "/property/portal/"),
    # 加油站 fuel attendant
    Shot("station-list", "fuel", "/fleet/stations/"),
    Shot("station-detail", "fuel", _station, full_page=True),
    Shot("station-detail-phone", "fuel", _station, phone=True),
    # 审计 auditor
    Shot("auditor-audit", "auditor", "/audit/"),
    Shot("auditor-value", "auditor", f"/distribution/value/?{PERIOD}"),
    Shot("auditor-summary", "auditor", f"/reports/summary/?{PERIOD}"),
]


def run(*args: str, env: dict[str, str]) -> None:
    print("$ baogong", " ".join(args), flush=True)
    subprocess.run([str(BIN / "baogong"), *args], check=True, env=env, cwd=ROOT)  # noqa: S603 - fixed program


def build(database: Path, days: int, env: dict[str, str]) -> None:
    partial = database.with_suffix(".building")
    partial.unlink(missing_ok=True)
    build_env = {**env, "DATABASE_URL": f"sqlite:///{partial}"}
    run("migrate", "--noinput", "-v", "0", env=build_env)
    run("bootstrap", env=build_env)
    run("demo", "--scenario", "baoshan-2022", "--seed", "2022", "--days", str(days), env=build_env)
    partial.rename(database)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, seconds: float = 120) -> None:
    import urllib.request

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - our own local server
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"the server did not answer at {url}")


def labels_of(page: Any) -> dict[str, list[str]]:
    def texts(selector: str) -> list[str]:
        found = page.eval_on_selector_all(selector, "els => els.map(e => e.innerText.trim()).filter(Boolean)")
        return list(dict.fromkeys(" ".join(t.split()) for t in found))[:40]

    return {
        "title": [page.title()],
        "headings": texts("h1, h2, h3, h4, h5, .card-header"),
        "buttons": texts("button, .btn, input[type=submit]"),
        "menu": texts("nav a, .nav-link"),
        "labels": texts("label, th"),
    }


def shoot(base: str, shots: list[Shot], out: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    found: dict[str, Any] = {}
    out.mkdir(parents=True, exist_ok=True)
    args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        contexts: dict[tuple[str | None, bool], Any] = {}
        for shot in shots:
            key = (shot.user, shot.phone)
            if key not in contexts:
                context = browser.new_context(locale="zh-CN", **(PHONE if shot.phone else DESKTOP))
                context.set_default_timeout(180_000)
                if shot.user:
                    page = context.new_page()
                    page.goto(base + "/login/")
                    page.fill("input[name=username]", shot.user)
                    page.fill("input[name=password]", PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_load_state()
                    page.close()
                contexts[key] = context
            try:
                path = shot.path() if callable(shot.path) else shot.path
            except LookupError as exc:
                print(f"  skip {shot.name}: {exc}", flush=True)
                continue
            page = contexts[key].new_page()
            answer = page.goto(base + path, wait_until="networkidle")
            status = answer.status if answer else 0
            page.wait_for_timeout(500)  # charts finish drawing
            page.screenshot(path=str(out / f"{shot.name}.png"), full_page=shot.full_page)
            found[shot.name] = {"path": path, "status": status, **labels_of(page)}
            print(f"  {status} {shot.name:32} {path}", flush=True)
            page.close()
        browser.close()
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", type=Path, default=ROOT / "var" / "guide.sqlite3")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--only", nargs="*", default=None, help="shot names (default: all)")
    parser.add_argument("--labels", type=Path, default=None, help="write the pages' headings and buttons here")
    parser.add_argument("--out", type=Path, default=OUT)
    options = parser.parse_args()

    database = options.database.resolve()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "baogong.settings", "DATABASE_URL": f"sqlite:///{database}"}
    if not database.exists():
        build(database, options.days, env)
    os.environ.update({"DATABASE_URL": env["DATABASE_URL"], "DJANGO_SETTINGS_MODULE": "baogong.settings"})
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # ORM look-ups beside Playwright's loop
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()

    shots = [s for s in SHOTS if options.only is None or s.name in options.only]
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed program
        [str(BIN / "baogong"), "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz")
        found = shoot(base, shots, options.out)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if options.labels:
        options.labels.write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
    failed = [name for name, page in found.items() if page["status"] != 200]
    print(f"{len(found)} screenshots in {options.out}; not 200: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
