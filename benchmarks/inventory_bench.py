"""Stock ledger benchmarks on PostgreSQL, with pgbench TPC-B on the same machine as the reference.

    .venv/bin/python benchmarks/inventory_bench.py [--server postgres://postgres@127.0.0.1:5432]
        [--seconds 20] [--clients 16] [--receipt-lines 10000] [--balances 100000] [--moves-per-balance 10]
        [--only pgbench,http,floors,phases,receipt,sqlite-receipt,ledger,page] [--client wrk|python]

Works in two scratch databases it creates and drops: ``bench_inventory`` (migrated, Baoshan base
data, demo catalog) and ``bench_pgbench`` (``pgbench -i -s 10``). Prints:

1. pgbench TPC-B tps with the same number of clients (the reference);
2. issues/s through ``POST /api/v1/inventory/issues/`` with N concurrent clients (gunicorn, 2
   workers × 4 threads), every issue taking 1 unit from ONE hot balance (the worst case: every
   transaction waits on the same row lock), with p50/p95 latency;
3. ``floors``: what the single-line hot phase could reach if one side cost nothing — the stored
   issue function called by pgbench's C client alone (no HTTP, no Python) and Django's cheapest
   request (``GET /healthz``) under the same gunicorn — with pgbench before and after;
4. ``phases``: hot and spread balances, 1- and 10-line documents, pgbench before and after each,
   ``check-ledger`` after each, and the CPU per request of the web workers, PostgreSQL, Redis, the
   load generator and the whole machine. The load comes from wrk (C, as pgbench is; ``apt install
   wrk``) so that the client does not take the server's cores; ``--client python`` uses threads of
   this process where wrk is missing;
5. lines/s of one ``receive_stock`` with 10,000 lines (in-process, the action itself);
6. the stock-on-hand page (``GET /inventory/`` with its filters) p50/p95 over 1,000,000 moves and
   100,000 balances, built by a bench-only SQL loader (below) that writes moves and balances that
   agree — ``check-ledger`` is run on the result and its time printed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

import httpload

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
DB = "bench_inventory"
PGBENCH_DB = "bench_pgbench"


def psql(server: str, sql: str) -> None:
    subprocess.run(["psql", f"{server}/postgres", "-q", "-c", sql], check=True, capture_output=True)


def pgbench(server: str, clients: int, seconds: int) -> float:
    """TPC-B tps in the scratch database ``PGBENCH_DB`` (``--db`` + ``_pgbench`` when given)."""
    psql(server, f"DROP DATABASE IF EXISTS {PGBENCH_DB}")
    psql(server, f"CREATE DATABASE {PGBENCH_DB}")
    url = f"{server}/{PGBENCH_DB}"
    subprocess.run(["pgbench", "-i", "-q", "-s", "10", url], check=True, capture_output=True)
    out = subprocess.run(
        ["pgbench", "-c", str(clients), "-j", "2", "-T", str(seconds), "-n", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    psql(server, f"DROP DATABASE IF EXISTS {PGBENCH_DB}")
    match = re.search(r"tps = ([\d.]+)", out)
    return float(match.group(1)) if match else 0.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def setup_django(url: str, *, fresh: bool = True) -> None:
    """Point Django at ``url`` (a PostgreSQL database or a SQLite file); ``fresh`` recreates and loads it."""
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "baogong.settings")
    if fresh:
        if url.startswith("sqlite"):
            path = Path(url.split("sqlite:///", 1)[1])
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        else:
            server, name = url.rsplit("/", 1)
            psql(server, f"DROP DATABASE IF EXISTS {name}")
            psql(server, f"CREATE DATABASE {name}")
        subprocess.run([str(BIN / "baogong"), "migrate", "-v", "0"], check=True, env=os.environ)
    import django

    django.setup()
    if fresh:
        from baogong.catalog.demo_data import load_catalog_demo
        from baogong.demo.actions import load_base_data, load_demo_accounts

        load_base_data()
        load_demo_accounts()
        load_catalog_demo()


def _hot_stock_and_token() -> str:
    """1,000,000 units of WATER-550 in ONE balance at 泰兴桥 and a bearer token of the keeper."""
    from django.contrib.auth import get_user_model

    from baogong.catalog.models import Item
    from baogong.core.audit import SystemActor
    from baogong.core.models import ApiToken
    from baogong.inventory.actions import ReceiptLineInput, receive_stock
    from baogong.orgs.models import Site

    receive_stock(
        Site.objects.get(code="WH-TXQ"),
        [
            ReceiptLineInput(
                item=Item.objects.get(code="WATER-550"), batch="HOT", qty=1_000_000, unit_cost=Decimal("24")
            )
        ],
        actor=SystemActor("bench"),
    )
    raw = ApiToken.generate()
    ApiToken.objects.create(
        user=get_user_model().objects.get(username="warehouse"), prefix=raw[:8], digest=ApiToken.digest_of(raw)
    )
    return raw


def profile_issue_request(verbose: bool = False) -> dict[str, str]:
    """One ``POST /api/v1/inventory/issues/`` in process: statements by kind and wall time."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    raw = _hot_stock_and_token()
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = json.dumps({"warehouse": "WH-TXQ", "recipient": "FH-FCL", "lines": [{"item": "WATER-550", "qty": 1}]})
    for _ in range(3):  # warm caches (content types, permissions code paths)
        assert client.post("/api/v1/inventory/issues/", body, content_type="application/json").status_code == 201
    times = []
    for _ in range(10):
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            response = client.post("/api/v1/inventory/issues/", body, content_type="application/json")
            times.append(time.perf_counter() - t0)
        assert response.status_code == 201, response.content
    kinds: dict[str, int] = {}
    for q in queries.captured_queries:
        word = q["sql"].split(None, 1)[0].upper()
        kinds[word] = kinds.get(word, 0) + 1
    if verbose:
        for q in queries.captured_queries:
            print(f"  {q['time']}s {q['sql'][:160]}")
    return {
        "statements": str(len(queries.captured_queries)),
        "by kind": " ".join(f"{k}={v}" for k, v in sorted(kinds.items())),
        "median": f"{1000 * percentile(times, 50):.1f} ms",
    }


def _spread_stock(n: int) -> list[str]:
    """``n`` items with 1,000,000 units each in ONE balance at 泰兴桥 (the spread phases draw among them)."""
    from baogong.catalog import actions as catalog_actions
    from baogong.core.audit import SystemActor
    from baogong.inventory.actions import ReceiptLineInput, receive_stock
    from baogong.orgs.models import Site

    actor = SystemActor("bench")
    items = [
        catalog_actions.create_item({"code": f"SP-{i:03d}", "name": f"分散测试{i}", "unit": "箱"}, actor=actor)
        for i in range(n)
    ]
    receive_stock(
        Site.objects.get(code="WH-TXQ"),
        [ReceiptLineInput(item=it, batch="SPREAD", qty=1_000_000, unit_cost=Decimal("2")) for it in items],
        actor=actor,
        qc_status="released",
    )
    return [it.code for it in items]


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes (``/proc/PID/stat``), gone processes counted as 0."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def _tree(pid: int) -> list[int]:
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                stack.extend(int(c) for c in (task / "children").read_text().split())
        except OSError:
            pass
    return out


def _backends(db: str) -> list[int]:
    """PostgreSQL backends serving ``db`` (their title names the database)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and f" {db} " in title:
                found.append(int(entry.name))
    return found


PORT = 0  # --port: the HTTP server's port (0: any free one)


def _start_gunicorn(workers: int, threads: int, conn_max_age: int) -> tuple[subprocess.Popen[bytes], int]:
    port = PORT
    if not port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "baogong.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        # 60 = persistent, the default; the API's per-user rate limit off: this measures throughput;
        # REDIS_URL/CACHE_URL: the cache every worker shares (permissions, scope, code lookups)
        env={**os.environ, "CONN_MAX_AGE": str(conn_max_age), "BAOGONG_THROTTLE_USER": "off"},
        start_new_session=True,
    )
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.3)
    return server, port


def _machine_busy() -> float:
    """Seconds of CPU the whole machine has spent busy (all cores, ``/proc/stat``)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _redis_pids() -> list[int]:
    out = subprocess.run(["pgrep", "-x", "redis-server"], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _issue_bodies(pool: list[str], recipients: list[str], lines: int, n: int) -> list[str]:
    """``n`` issue bodies drawn with a fixed seed: ``lines`` distinct items of ``pool``, 1 unit each."""
    rnd = random.Random(2022)
    bodies = []
    for _ in range(n):
        picked = rnd.sample(pool, lines) if len(pool) >= lines else pool[:lines]
        bodies.append(
            json.dumps(
                {
                    "warehouse": "WH-TXQ",
                    "recipient": rnd.choice(recipients),
                    "lines": [{"item": code, "qty": 1} for code in picked],
                }
            )
        )
    return bodies


def _python_load(port: int, raw: str, bodies: list[str], clients: int, seconds: int) -> dict[str, float]:
    """The same load from threads of this process (``--client python``: where wrk is missing)."""
    latencies: list[float] = []
    counts = {"ok": 0, "other": 0}
    lock = threading.Lock()
    stop_at = [0.0]
    barrier = threading.Barrier(clients + 1)
    cpu0 = time.process_time()

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}
        barrier.wait()
        k = n
        while time.perf_counter() < stop_at[0]:
            k += clients
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/inventory/issues/", body=bodies[k % len(bodies)], headers=headers)
            response = conn.getresponse()
            response.read()
            took = time.perf_counter() - t0
            with lock:
                latencies.append(took)
                counts["ok" if response.status == 201 else "other"] += 1

    pool_threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in pool_threads:
        t.start()
    stop_at[0] = time.perf_counter() + seconds
    start = time.perf_counter()
    barrier.wait()
    for t in pool_threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {
        "requests": counts["ok"] + counts["other"],
        "per_s": counts["ok"] / elapsed,
        "ok": counts["ok"],
        "errors": counts["other"],
        "p50_ms": percentile(latencies, 50) * 1000 if latencies else 0,
        "p95_ms": percentile(latencies, 95) * 1000 if latencies else 0,
        "client_cpu_s": time.process_time() - cpu0,
    }


def bench_http_issues(
    clients: int,
    seconds: int,
    *,
    workers: int = 2,
    threads: int = 4,
    conn_max_age: int = 60,
    codes: list[str] | None = None,
    lines: int = 1,
    db: str = DB,
    client: str = "wrk",
) -> dict[str, float]:
    """Issues through the API for ``seconds``: every line 1 unit of ``codes`` (default: the one hot
    balance), ``lines`` distinct items per document; rate, latency and CPU per request of the web
    workers, PostgreSQL, Redis, the load generator and the whole machine."""
    from baogong.orgs.models import Site

    raw = _hot_stock_and_token()
    pool = codes or ["WATER-550"]
    recipients = list(Site.objects.exclude(kind="warehouse").values_list("code", flat=True)[:10])
    bodies = _issue_bodies(pool, recipients, lines, 2_000)
    server, port = _start_gunicorn(workers, threads, conn_max_age)
    try:
        app0, redis0 = _cpu_seconds(_tree(server.pid)), _cpu_seconds(_redis_pids())
        db_before = {p: _cpu_seconds([p]) for p in _backends(db)}
        busy0 = _machine_busy()
        if client == "wrk":
            headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}
            r = httpload.run(
                f"http://127.0.0.1:{port}/api/v1/inventory/issues/",
                seconds=seconds,
                clients=clients,
                bodies=bodies,
                headers=headers,
            )
        else:
            r = _python_load(port, raw, bodies, clients, seconds)
        busy = _machine_busy() - busy0
        app_cpu = _cpu_seconds(_tree(server.pid)) - app0
        redis_cpu = _cpu_seconds(_redis_pids()) - redis0
        db_cpu = sum(_cpu_seconds([p]) - db_before.get(p, 0.0) for p in _backends(db))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    done = max(r["requests"], 1)
    return {
        "issues_per_s": r["per_s"],
        "lines_per_s": r["per_s"] * lines,
        "ok": r["ok"],
        "other": r["errors"],
        "p50_ms": r["p50_ms"],
        "p95_ms": r["p95_ms"],
        "app_cpu_ms": 1000 * app_cpu / done,
        "db_cpu_ms": 1000 * db_cpu / done,
        "redis_cpu_ms": 1000 * redis_cpu / done,
        "client_cpu_ms": 1000 * r["client_cpu_s"] / done,
        "busy_ms": 1000 * busy / done,
    }


def http_phases(args: argparse.Namespace) -> None:
    """Hot and spread balances, 1- and 10-line documents; pgbench before and after each phase,
    ``check-ledger`` after each; the share is of the mean of the two pgbench figures around it."""
    from baogong.inventory.queries import ledger_differences

    spread = _spread_stock(args.spread)
    phases = [("hot", 1), ("spread", 1), ("hot", 10), ("spread", 10)]
    wanted = set(args.phases.split(","))
    for where, lines in phases:
        if f"{where}-{lines}" not in wanted:
            continue
        before = pgbench(args.server, args.clients, args.seconds)
        codes = ["WATER-550"] if (where, lines) == ("hot", 1) else (spread[:10] if where == "hot" else spread)
        r = bench_http_issues(
            args.clients,
            args.seconds,
            codes=codes,
            lines=lines,
            db=args.db,
            client=args.client,
            workers=args.workers,
            threads=args.threads,
        )
        after = pgbench(args.server, args.clients, args.seconds)
        ref = (before + after) / 2
        differences = len(ledger_differences())
        load = os.getloadavg()
        rate = r["issues_per_s"] if lines == 1 else r["lines_per_s"]
        unit = "issues/s" if lines == 1 else "lines/s"
        print(
            f"[{where}, {lines}-line] pgbench {before:.0f} -> {after:.0f} tps; HTTP {r['issues_per_s']:.1f} issues/s "
            f"= {r['lines_per_s']:.0f} lines/s ({r['ok']:.0f} ok, {r['other']:.0f} errors), p50 {r['p50_ms']:.0f} ms, "
            f"p95 {r['p95_ms']:.0f} ms; {unit} = {100 * rate / ref:.1f}% of pgbench; CPU per request "
            f"{r['app_cpu_ms']:.2f} ms web workers + {r['db_cpu_ms']:.2f} ms PostgreSQL + {r['redis_cpu_ms']:.2f} ms "
            f"Redis + {r['client_cpu_ms']:.2f} ms {args.client} = machine busy {r['busy_ms']:.2f} ms; check-ledger "
            f"{'exact' if differences == 0 else f'{differences} DIFFERENCES'}; load {load[0]:.1f} / {load[1]:.1f}",
            flush=True,
        )


def _issue_statement() -> str:
    """The SQL one single-line hot issue sends on PostgreSQL (the stored function's call), as executed."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    raw = _hot_stock_and_token()
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = json.dumps({"warehouse": "WH-TXQ", "recipient": "FH-FCL", "lines": [{"item": "WATER-550", "qty": 1}]})
    with CaptureQueriesContext(connection) as queries:
        assert client.post("/api/v1/inventory/issues/", body, content_type="application/json").status_code == 201
    return next(q["sql"] for q in queries.captured_queries if "inventory_post_issue" in q["sql"])


def pgbench_script(url: str, sql: str, clients: int, seconds: int) -> float:
    """tps of pgbench's C client sending ``sql`` alone (prepared, autocommit) to ``url``."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(sql.rstrip(";") + ";\n")
        script.flush()
        out = subprocess.run(
            [
                "pgbench",
                "-n",
                "-M",
                "prepared",
                "-c",
                str(clients),
                "-j",
                "2",
                "-T",
                str(seconds),
                "-f",
                script.name,
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    match = re.search(r"tps = ([\d.]+)", out)
    return float(match.group(1)) if match else 0.0


_BARE_APP = """
# Written by inventory_bench.py's floors part: the issue endpoint's floor without Django. It compares the
# header with one token, takes the payload Django built for one hot issue and calls the same stored
# function in autocommit. No scope, no body checks, no audit context: a bound, not an endpoint.
import datetime as dt, json, threading, uuid
import psycopg

TEMPLATE = json.loads(%(payload)r)
TOKEN = %(token)r
URL = %(url)r
local = threading.local()


def application(environ, start_response):
    if environ.get("HTTP_AUTHORIZATION") != TOKEN:
        start_response("401 Unauthorized", [("Content-Type", "application/json")])
        return [b"{}"]
    body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    payload = dict(TEMPLATE, now=dt.datetime.now(dt.timezone.utc).isoformat(), request_id=uuid.uuid4().hex)
    payload["lines"] = [dict(TEMPLATE["lines"][0], qty=body["lines"][0]["qty"])]
    conn = getattr(local, "conn", None) or psycopg.connect(URL, autocommit=True)
    local.conn = conn
    with conn.cursor() as cursor:
        cursor.execute("SELECT inventory_post_issue(%%s::jsonb)", [json.dumps(payload)])
        answer = json.dumps(cursor.fetchone()[0]).encode()
    start_response("201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
    return [answer]
"""


def _bare_issue_floor(args: argparse.Namespace, sql: str) -> dict[str, float]:
    """The single-line hot issue through a WSGI app with no Django (``_BARE_APP``) under the same
    gunicorn and wrk: what the web side costs at the least in Python."""
    payload = sql.split("inventory_post_issue('", 1)[1].rsplit("'::jsonb", 1)[0].replace("''", "'")
    raw = _hot_stock_and_token()
    body = json.dumps({"warehouse": "WH-TXQ", "recipient": "FH-FCL", "lines": [{"item": "WATER-550", "qty": 1}]})
    with tempfile.TemporaryDirectory() as tmp:
        app = {"payload": payload, "token": f"Bearer {raw}", "url": f"{args.server}/{args.db}"}
        Path(tmp, "bare_issue.py").write_text(_BARE_APP % app)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--chdir",
                tmp,
                "bare_issue:application",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(args.workers),
                "-k",
                "gthread",
                "--threads",
                str(args.threads),
                "--log-level",
                "warning",
            ],
            start_new_session=True,
        )
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            app0, busy0 = _cpu_seconds(_tree(server.pid)), _machine_busy()
            db0 = {p: _cpu_seconds([p]) for p in _backends(args.db)}
            r = httpload.run(
                f"http://127.0.0.1:{port}/api/v1/inventory/issues/",
                seconds=args.seconds,
                clients=args.clients,
                bodies=[body],
                headers={"Authorization": f"Bearer {raw}", "Content-Type": "application/json"},
            )
            done = max(r["requests"], 1)
            r["app_ms"] = 1000 * (_cpu_seconds(_tree(server.pid)) - app0) / done
            r["db_ms"] = 1000 * sum(_cpu_seconds([p]) - db0.get(p, 0.0) for p in _backends(args.db)) / done
            r["busy_ms"] = 1000 * (_machine_busy() - busy0) / done
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    return r


def floors(args: argparse.Namespace) -> None:
    """What the single-line hot phase could reach if one side cost less, in the same run: the stored
    function called by pgbench's C client (no HTTP, no Python); the web server's cheapest Django
    request (``GET /healthz``, answered by the first middleware) under wrk; and the issue through a
    WSGI app without Django that calls the same function (``_BARE_APP``)."""
    before = pgbench(args.server, args.clients, args.seconds)
    sql = _issue_statement()
    database = pgbench_script(f"{args.server}/{args.db}", sql, args.clients, args.seconds)
    server, port = _start_gunicorn(args.workers, args.threads, 60)
    try:
        app0, busy0 = _cpu_seconds(_tree(server.pid)), _machine_busy()
        web = httpload.run(f"http://127.0.0.1:{port}/healthz", method="GET", seconds=args.seconds, clients=args.clients)
        app_ms = 1000 * (_cpu_seconds(_tree(server.pid)) - app0) / max(web["requests"], 1)
        busy_ms = 1000 * (_machine_busy() - busy0) / max(web["requests"], 1)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    bare = _bare_issue_floor(args, sql)
    after = pgbench(args.server, args.clients, args.seconds)
    ref = (before + after) / 2
    load = os.getloadavg()
    print(
        f"[floors] pgbench {before:.0f} -> {after:.0f} tps; the issue function alone from pgbench "
        f"(one hot balance, no HTTP, no Python): {database:.0f} tps = {100 * database / ref:.1f}% of pgbench; "
        f"GET /healthz ({args.workers}x{args.threads}, wrk): {web['per_s']:.0f} req/s, {app_ms:.2f} ms web workers, "
        f"machine busy {busy_ms:.2f} ms per request; the issue through WSGI without Django: {bare['per_s']:.0f} "
        f"issues/s = {100 * bare['per_s'] / ref:.1f}% of pgbench ({bare['ok']:.0f} ok, {bare['errors']:.0f} errors), "
        f"{bare['app_ms']:.2f} ms web workers + {bare['db_ms']:.2f} ms PostgreSQL, machine busy {bare['busy_ms']:.2f} ms; "
        f"load {load[0]:.1f} / {load[1]:.1f}",
        flush=True,
    )


def bench_receipt(lines: int, *, profile: bool = False) -> dict[str, float]:
    """One ``receive_stock`` of ``lines`` new batches over 100 items into WH-YY's main store."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from baogong.catalog import actions as catalog_actions
    from baogong.catalog.models import Item
    from baogong.core.audit import SystemActor
    from baogong.inventory.actions import ReceiptLineInput, receive_stock
    from baogong.orgs.models import Site

    actor = SystemActor("bench")
    known = {i.code: i for i in Item.objects.filter(code__startswith="RB-")}
    items = [
        known.get(f"RB-{i:03d}")
        or catalog_actions.create_item({"code": f"RB-{i:03d}", "name": f"收货测试{i}", "unit": "箱"}, actor=actor)
        for i in range(100)
    ]
    tag = f"{time.time_ns() % 10**8:08d}"
    rows = [
        ReceiptLineInput(item=items[i % 100], batch=f"R{tag}-{i:05d}", qty=1 + i % 50, unit_cost=Decimal("3.20"))
        for i in range(lines)
    ]
    warehouse = Site.objects.get(code="WH-YY")
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with CaptureQueriesContext(connection) as queries:
        t0, cpu0 = time.perf_counter(), time.process_time()
        receipt = receive_stock(warehouse, rows, actor=actor, reference=f"BENCH-{tag}")
        took, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    assert receipt.lines.count() == lines
    return {"seconds": took, "lines_per_s": lines / took, "queries": len(queries.captured_queries), "cpu_s": cpu}


def load_ledger(balances: int, moves_per_balance: int) -> dict[str, float]:
    """Bench-only loader: items, lots, bins, receipt moves and the balances they add up to, in SQL.

    Every balance gets ``moves_per_balance`` receipt moves (supplier → bin) and its on_hand is the
    sum of them, so the result satisfies ``check-ledger``. Not for production data.
    """
    from django.db import connection

    from baogong.core.audit import SystemActor
    from baogong.inventory.actions import create_location
    from baogong.inventory.locations import virtual_location
    from baogong.orgs.models import Site

    actor = SystemActor("bench")
    sites = [Site.objects.get(code="WH-TXQ"), Site.objects.get(code="WH-YY")]
    bins = [create_location(s, code=f"BIN-{c}", name=f"BIN-{c}", actor=actor) for s in sites for c in "AB"]
    supplier = virtual_location("supplier")
    lots = balances // 2
    t0 = time.perf_counter()
    with connection.cursor() as c:
        c.execute("SELECT id FROM catalog_category WHERE code IN ('EPI-MASK','LIFE-WATER','LIFE-VEG','DRUG','FUEL')")
        categories = [r[0] for r in c.fetchall()]
        c.execute(
            """INSERT INTO catalog_item (code, name, name_en, category_id, unit, pack_qty, pack_unit, pack_size,
                 weight_kg, volume_m3, specification, standard, regulatory_number, reference_price,
                 shelf_life_days, storage, is_active, created_at, updated_at)
               SELECT 'BI-' || lpad(g::text, 4, '0'), '测试物资' || g, '', (%s::bigint[])[1 + g %% %s], '箱', 1, '', '',
                 1, 0.01, '', '', '', 10, 365, 'normal', true, now(), now()
               FROM generate_series(1, 1000) g""",
            [categories, len(categories)],
        )
        c.execute(
            """INSERT INTO inventory_lot (item_id, batch, production_date, expiry, supplier_name, supplier_ref,
                 unit_cost, qc_status, qc_reason, is_suspected_counterfeit, created_at)
               SELECT i.id, 'L' || g, NULL, current_date + (g %% 400) - 20, '', '', 1 + (g %% 7),
                 CASE WHEN g %% 50 = 0 THEN 'quarantined' ELSE 'released' END, '', false, now()
               FROM generate_series(1, %s) g JOIN catalog_item i ON i.code = 'BI-' || lpad((1 + g %% 1000)::text, 4, '0')""",
            [lots],
        )
        c.execute(
            """INSERT INTO inventory_stockmove (at, item_id, lot_id, from_location_id, to_location_id, qty, unit_cost,
                 reason, note, document_type, document_id, reference, actor_id, actor_label, reverses_id)
               SELECT now() - (k || ' minutes')::interval, l.id_item, l.id, %s, b.loc, 1 + ((l.id * 7 + k) %% 20),
                 l.cost, 'receipt', '', 'bench', NULL, 'BENCH', NULL, 'bench', NULL
               FROM (SELECT id, item_id AS id_item, unit_cost AS cost FROM inventory_lot WHERE batch LIKE 'L%%') l
               CROSS JOIN (SELECT unnest(%s::bigint[]) AS loc, generate_series(0, 3) AS n) b
               CROSS JOIN generate_series(1, %s) k
               WHERE b.n / 2 = l.id %% 2""",
            [supplier.pk, [b.pk for b in bins], moves_per_balance],
        )
        c.execute(
            """INSERT INTO inventory_stockbalance (item_id, lot_id, location_id, on_hand, reserved)
               SELECT item_id, lot_id, to_location_id, sum(qty), 0 FROM inventory_stockmove
               WHERE document_type = 'bench' GROUP BY item_id, lot_id, to_location_id"""
        )
        c.execute("ANALYZE")
        c.execute("SELECT count(*) FROM inventory_stockmove")
        n_moves = c.fetchone()[0]
        c.execute("SELECT count(*) FROM inventory_stockbalance")
        n_balances = c.fetchone()[0]
    load = time.perf_counter() - t0
    from baogong.inventory.queries import ledger_differences

    t0 = time.perf_counter()
    differences = ledger_differences()
    check = time.perf_counter() - t0
    return {
        "moves": n_moves,
        "balances": n_balances,
        "load_s": load,
        "check_ledger_s": check,
        "differences": len(differences),
    }


def bench_stock_page(requests: int, *, verbose: bool = False) -> dict[str, dict[str, float]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    urls = [
        "/inventory/",
        "/inventory/?warehouse=WH-TXQ",
        "/inventory/?category=EPI",
        "/inventory/?expiry=30",
        "/inventory/?qc_status=quarantined",
        "/inventory/?q=BI-0007",
        "/inventory/?page=200",
        "/inventory/?warehouse=WH-YY&category=LIFE&page=3",
    ]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = {}
    for username in ("commander", "warehouse"):
        client = Client(HTTP_HOST="localhost")
        client.force_login(get_user_model().objects.get(username=username))
        client.get(urls[0])
        times = []
        slowest: dict[str, float] = {}
        for n in range(requests):
            url = urls[n % len(urls)]
            t0 = time.perf_counter()
            response = client.get(url)
            took = time.perf_counter() - t0
            times.append(took)
            slowest[url] = max(slowest.get(url, 0.0), took)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(urls[0])
        if verbose:
            for url, took in sorted(slowest.items(), key=lambda kv: -kv[1]):
                print(f"  {username} {url}: slowest {1000 * took:.0f} ms")
        results[username] = {
            "p50_ms": percentile(times, 50) * 1000,
            "p95_ms": percentile(times, 95) * 1000,
            "max_ms": max(times) * 1000,
            "queries": len(queries.captured_queries),
        }
    return results


PARTS = ("pgbench", "http", "floors", "phases", "receipt", "sqlite-receipt", "ledger", "page")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default=DB, help="scratch database name (created and dropped)")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--receipt-lines", type=int, default=10_000)
    parser.add_argument("--balances", type=int, default=100_000)
    parser.add_argument("--moves-per-balance", type=int, default=10)
    parser.add_argument("--page-requests", type=int, default=80)
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of {PARTS}")
    parser.add_argument("--reuse", action="store_true", help="use the scratch database as it is (no reload)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database at the end")
    parser.add_argument("--profile", action="store_true", help="cProfile the receipt")
    parser.add_argument(
        "--cache", default="redis://127.0.0.1:6379/0", help="the shared cache (REDIS_URL / CACHE_URL); '' for none"
    )
    parser.add_argument(
        "--lean", default="on", choices=["on", "off"], help="off: the portable ledger path and no cross-request cache"
    )
    parser.add_argument("--spread", type=int, default=224, help="balances the spread phases draw from")
    parser.add_argument("--phases", default="hot-1,spread-1,hot-10,spread-10", help="which of the 'phases' part to run")
    parser.add_argument(
        "--web",
        default="2x4:60",
        help="gunicorn set-ups for the HTTP part, WORKERSxTHREADS:CONN_MAX_AGE, comma-separated (e.g. 2x4:60,4x4:60,2x4:0)",
    )
    parser.add_argument(
        "--client",
        default="wrk" if httpload.available() else "python",
        choices=["wrk", "python"],
        help="the HTTP load generator of the phases: wrk (C, as pgbench is; apt install wrk) or threads of this process",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the phases and floors")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker of the phases and floors")
    parser.add_argument("--verbose", action="store_true", help="print the SQL of one issue, slowest page URLs")
    parser.add_argument("--port", type=int, default=0, help="port of the HTTP server (default: any free one)")
    parser.add_argument("--sqlite", default="", help=argparse.SUPPRESS)  # child run: receipt on this SQLite file
    args = parser.parse_args()
    if args.sqlite:
        setup_django(f"sqlite:///{args.sqlite}")
        receipt = bench_receipt(args.receipt_lines, profile=args.profile)
        print(json.dumps(receipt))
        return
    parts = set(args.only.split(","))
    global PORT
    PORT = args.port
    if args.db != DB:
        global PGBENCH_DB
        PGBENCH_DB = f"{args.db}_pgbench"
    if args.cache:
        os.environ["REDIS_URL"] = os.environ["CACHE_URL"] = args.cache
    if args.lean == "off":  # the code path before issue 25, for a same-run comparison
        os.environ["BAOGONG_LEDGER_FAST_PATH"] = "0"
        os.environ["BAOGONG_SHARED_CACHE"] = "off"
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at start")
    tps = 0.0
    if "pgbench" in parts:
        tps = pgbench(args.server, args.clients, args.seconds)
        print(f"pgbench TPC-B (scale 10, {args.clients} clients, {args.seconds} s): {tps:.0f} tps")
    if "sqlite-receipt" in parts:
        path = ROOT / "var" / "bench_inventory.sqlite3"
        path.parent.mkdir(exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        out = subprocess.run(
            [sys.executable, __file__, "--sqlite", str(path), "--receipt-lines", str(args.receipt_lines)],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout
        figures = json.loads(out.strip().splitlines()[-1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        print(
            f"SQLite: receipt of {args.receipt_lines} lines: {figures['seconds']:.2f} s = "
            f"{figures['lines_per_s']:.0f} lines/s ({figures['queries']} statements, {figures['cpu_s']:.2f} s CPU in Python)"
        )
    setup_django(f"{args.server}/{args.db}", fresh=not args.reuse)
    if "http" in parts:
        profile = profile_issue_request(args.verbose)
        print("one HTTP issue request: " + ", ".join(f"{k} {v}" for k, v in profile.items()))
        for setup in args.web.split(","):
            shape, _, age = setup.partition(":")
            workers, _, threads = shape.partition("x")
            http_result = bench_http_issues(
                args.clients, args.seconds, workers=int(workers), threads=int(threads), conn_max_age=int(age or 60)
            )
            share = f" = {100 * http_result['issues_per_s'] / tps:.1f}% of pgbench tps" if tps else ""
            load = os.getloadavg()
            print(
                f"HTTP issues ({args.clients} clients, one hot balance, gunicorn {workers} workers x {threads} threads, "
                f"CONN_MAX_AGE={age or 60}): {http_result['issues_per_s']:.1f} issues/s "
                f"({http_result['ok']} ok, {http_result['other']} other), p50 {http_result['p50_ms']:.0f} ms, "
                f"p95 {http_result['p95_ms']:.0f} ms{share}; load {load[0]:.1f}"
            )
    if "floors" in parts:
        floors(args)
    if "phases" in parts:
        http_phases(args)
    if "receipt" in parts:
        receipt = bench_receipt(args.receipt_lines, profile=args.profile)
        print(
            f"PostgreSQL: receipt of {args.receipt_lines} lines: {receipt['seconds']:.2f} s = "
            f"{receipt['lines_per_s']:.0f} lines/s ({receipt['queries']} statements, {receipt['cpu_s']:.2f} s CPU in Python)"
        )
    if "ledger" in parts:
        ledger = load_ledger(args.balances, args.moves_per_balance)
        print(
            f"ledger: {ledger['moves']} moves, {ledger['balances']} balances loaded in {ledger['load_s']:.1f} s; "
            f"check-ledger {ledger['check_ledger_s']:.1f} s, {ledger['differences']} differences"
        )
    if "page" in parts:
        page = bench_stock_page(args.page_requests, verbose=args.verbose)
        for username, figures in page.items():
            print(
                f"stock-on-hand page as {username}: p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms, "
                f"max {figures['max_ms']:.0f} ms, {figures['queries']} statements per page"
            )
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at end")
    from django.db import connections

    connections.close_all()
    if not args.keep:
        psql(args.server, f"DROP DATABASE IF EXISTS {args.db}")


if __name__ == "__main__":
    main()
