"""Two app nodes, nothing shared but the services: two gunicorn processes with their own
``BAOGONG_VAR_DIR`` and a task worker, against one PostgreSQL database, one Redis and one
S3-compatible server (moto's, from PyPI, on a local port), spoken to over real HTTP.

- a file uploaded through node 1 is downloaded through node 2 by a user allowed to see it, and
  refused to one who is not (and is on neither node's disk);
- a rate limit hit on node 1 counts on node 2 (the shared Redis cache);
- a daily job started on both nodes at once runs once;
- a webhook to a local receiver that fails twice is delivered on the third try by the worker,
  and the request that caused it answered while the receiver still held the first post.

Runs in the PostgreSQL pass (``postgres``); skipped with the reason when Redis is not reachable.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from baogong.core.models import NotificationChannel, NotificationDelivery
from baogong.core.tests.receiver import Receiver
from tests.objectstore import environment, free_port, make_bucket, s3_server

BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("BAOGONG_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "two-node-password-1"  # noqa: S105 - test accounts
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"the two-node test needs Redis at {REDIS_URL} (BAOGONG_TEST_REDIS_URL): {exc}")


def _port(taken: int = 0) -> int:
    """A free port in 8170-8179 (kept for this test on shared machines), else any free one."""
    for port in range(8170, 8180):
        if port == taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class Browser:
    """One user's cookies on one node, like a browser: log in, GET, POST forms (CSRF included)."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def _open(self, request: urllib.request.Request) -> Answer:
        try:
            with self.opener.open(request, timeout=60) as response:
                return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def get(self, path: str) -> Answer:
        return self._open(urllib.request.Request(self.base + path))

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def post(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None) -> Answer:
        fields = {"csrfmiddlewaretoken": self.csrf(), **fields}
        if files:
            boundary = uuid.uuid4().hex
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                for k, v in fields.items()
            ]
            for name, (filename, content) in files.items():
                head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                parts.append(head.encode() + b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n")
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            kind = f"multipart/form-data; boundary={boundary}"
        else:
            body, kind = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=body, headers={"Content-Type": kind})
        return self._open(request)

    def login(self, username: str) -> Browser:
        assert self.get("/login/").status == 200
        answer = self.post("/login/", {"username": username, "password": PASSWORD})
        assert answer.status == 302, answer.body[:300]
        return self


@dataclass
class Cluster:
    node1: int
    node2: int
    env1: dict[str, str]
    env2: dict[str, str]
    var1: Path
    var2: Path
    bucket: str
    endpoint: str


def _env(var: Path, shared: dict[str, str]) -> dict[str, str]:
    dropped = {"DEBUG", "BAOGONG_DEBUG", "DATABASE_URL", "BAOGONG_TEST_CLOCK", "BAOGONG_CLOCK_OFFSET", "CACHE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(shared, BAOGONG_VAR_DIR=str(var))
    return env


def _gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "baogong.wsgi:application", "--workers", "1", "--threads", "4"]
        + ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        env=env,
        start_new_session=True,
    )


def _wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            pass
        assert process.poll() is None, f"node on {port} exited with {process.returncode}"
        assert time.monotonic() < deadline, f"node on {port} did not answer /healthz within 120 s"
        time.sleep(0.3)


@pytest.fixture
def cluster(base, tmp_path, settings):
    _redis_or_skip()
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    if db.get("PASSWORD"):
        database_url = database_url.replace("@", f":{db['PASSWORD']}@", 1)
    with s3_server() as endpoint:
        bucket = f"baogong-{uuid.uuid4().hex[:10]}"
        make_bucket(endpoint, bucket)
        shared = {
            "DATABASE_URL": database_url,
            "CONN_MAX_AGE": "0",
            "REDIS_URL": REDIS_URL,
            "CACHE_KEY_PREFIX": f"baogong-two-nodes-{uuid.uuid4().hex[:8]}",
            "BAOGONG_TASK_BACKEND": "database",
            "BAOGONG_NOTIFY_RETRY_DELAYS": "1,1",
            "BAOGONG_RATE_ORDER_LOOKUP": "3/day",
            "SECRET_KEY": "two-node-test-0123456789-abcdefghijklmnopqrstuvwxyz",
            "ALLOWED_HOSTS": "127.0.0.1",
            **environment(endpoint, bucket),
        }
        var1, var2 = tmp_path / "node1", tmp_path / "node2"
        env1, env2 = _env(var1, shared), _env(var2, shared)
        port1 = _port()
        port2 = _port(taken=port1)
        processes: list[subprocess.Popen[bytes]] = [_gunicorn(port1, env1)]
        try:
            processes.append(_gunicorn(port2, env2))
            processes.append(
                subprocess.Popen(  # noqa: S603 - the task worker, on node 2's machine
                    [str(BIN / "baogong"), "worker", "--no-schedule"], env=env2, start_new_session=True
                )
            )
            _wait_healthy(port1, processes[0])
            _wait_healthy(port2, processes[1])
            yield Cluster(port1, port2, env1, env2, var1, var2, bucket, endpoint)
        finally:
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                process.wait(timeout=30)


def _accounts(settings) -> None:
    """The demo accounts with the nodes' own password hasher (the test run hashes with MD5)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    for user in get_user_model().objects.filter(username__in=["commander", "warehouse", "health"]):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


def _mission():
    from baogong.finance import actions
    from baogong.orgs.models import Organisation, Site

    commander = get_user_model().objects.get(username="commander")
    return actions.create_mission(
        {
            "code": "M-2NODE",
            "name": "两节点测试任务",
            "kind": "field_hospital",
            "organisation": Organisation.objects.get(code="BSGX"),
            "funder": Organisation.objects.get(code="BSZF-WJW"),
            "budget": Decimal("1000.00"),
            "starts_on": timezone.localdate().replace(day=1),
            "ends_on": timezone.localdate(),
        },
        recipients=[Site.objects.get(code="FH-FCL")],
        actor=commander,
    )


class HeldReceiver(Receiver):
    """Holds the first post until released (a robot that hangs), then fails it."""

    def __init__(self) -> None:
        super().__init__(fail=2, failure="platform")
        self.release = threading.Event()

    def start(self) -> HeldReceiver:
        super().start()
        handler = self._server.RequestHandlerClass
        original = handler.do_POST
        release = self.release

        def held(handler_self):  # type: ignore[no-untyped-def]
            if not self.requests:
                release.wait(30)
            original(handler_self)

        handler.do_POST = held
        return self


def test_two_nodes_share_files_limits_jobs_and_notifications(cluster, settings):
    from baogong.finance.models import CostLine
    from baogong.orgs.models import Site

    _accounts(settings)
    robot = HeldReceiver().start()
    try:
        NotificationChannel.objects.create(
            name="防控群", kind="wecom", target=robot.url + "/cgi-bin/webhook/send?key=k", subjects=["outbreak"]
        )
        # --- a webhook that fails twice, caused by a request on node 1 ----------------------------
        health = Browser(cluster.node1).login("health")
        warehouse_site = Site.objects.get(code="WH-TXQ")
        answer = health.post(f"/people/sites/{warehouse_site.pk}/lock-down/", {"reason": "两节点测试封控"})
        assert answer.status == 302, answer.body[:500]
        # answered while the robot holds its first post: no attempt was made inside the request
        delivery = NotificationDelivery.objects.get(notification__title__contains=warehouse_site.name)
        assert delivery.attempts == 0 and delivery.status in {"pending", "sending"}
        robot.release.set()

        # --- a file uploaded through node 1, downloaded through node 2 ----------------------------
        mission = _mission()
        commander1 = Browser(cluster.node1).login("commander")
        answer = commander1.post(
            f"/finance/missions/{mission.pk}/costs/new/",
            {
                "category": "lodging",
                "amount": "88",
                "incurred_on": timezone.localdate().isoformat(),
                "invoice_number": "INV-2NODE",
                "supplier": "",
                "description": "",
            },
            files={"attachment": ("发票.pdf", PDF)},
        )
        assert answer.status == 302, answer.body[:800]
        name = CostLine.objects.get(invoice_number="INV-2NODE").attachment.name
        assert name.startswith("finance/costs/")
        for var in (cluster.var1, cluster.var2):
            assert not [p for p in var.rglob("*") if p.is_file() and p.suffix == ".pdf"], "on a node's disk"
        commander2 = Browser(cluster.node2).login("commander")
        answer = commander2.get(f"/media/{urllib.parse.quote(name)}")
        assert answer.status == 200 and answer.body == PDF
        assert answer.headers["content-type"] == "application/pdf"
        warehouse2 = Browser(cluster.node2).login("warehouse")
        assert warehouse2.get(f"/media/{urllib.parse.quote(name)}").status == 404

        # --- a rate limit counted across both nodes -----------------------------------------------
        left = 86400 - time.time() % 86400
        if left < 15:  # the daily window turns at midnight UTC: start in the next one
            time.sleep(left + 1)
        visitor1, visitor2 = Browser(cluster.node1), Browser(cluster.node2)
        assert [visitor1.get("/pharmacy/o/YD000000000000/").status for _ in range(3)] == [200, 200, 200]
        assert visitor2.get("/pharmacy/o/YD000000000000/").status == 429

        # --- a daily job started on both nodes at once runs once ----------------------------------
        day = timezone.localdate().isoformat()
        command = ["run_scheduled", "--date", day, "--job", "core.purge_idempotency_records"]
        runs = [
            subprocess.Popen([str(BIN / "baogong"), *command], env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
            for env in (cluster.env1, cluster.env2)
        ]
        outputs = [run.communicate(timeout=120)[0] for run in runs]
        statuses = sorted(re.search(r"\t(done|skipped|failed)\t", out).group(1) for out in outputs)
        assert statuses == ["done", "skipped"], outputs

        # --- the worker delivered the webhook on the third try ------------------------------------
        deadline = time.monotonic() + 90
        while NotificationDelivery.objects.get(pk=delivery.pk).status != "sent":
            assert time.monotonic() < deadline, NotificationDelivery.objects.filter(pk=delivery.pk).values().get()
            time.sleep(0.5)
        done = NotificationDelivery.objects.get(pk=delivery.pk)
        assert done.attempts == 3 and len(robot.requests) == 3
        assert robot.requests[2].json["markdown"]["content"].startswith("### 场所封控")
    finally:
        robot.release.set()
        robot.stop()
