"""The shipping files (Dockerfile, compose.yaml, nginx and systemd samples) say what the
operator's guide says, and the var folder never defaults into site-packages."""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from baogong.core.paths import default_var_dir

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_two_web_nodes_a_worker_and_the_scheduler_with_health_checks():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"db", "redis", "migrate", "web1", "web2", "worker", "scheduler", "nginx"} <= set(services)
    for name in ("db", "redis", "web1", "web2", "worker", "scheduler", "nginx"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no health check"
    for name in ("web1", "web2", "worker", "scheduler"):
        service = services[name]
        assert service["image"] == "baogong:latest"
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert "REDIS_URL" in service["environment"] and "DATABASE_URL" in service["environment"]
        assert any(v.endswith(":/var/lib/baogong") for v in service["volumes"])
    assert services["worker"]["command"][:3] == ["baogong", "worker", "--no-schedule"]
    assert "run_scheduled" in " ".join(services["scheduler"]["command"])
    # the shell loop is PID 1: without a trap it ignores `docker compose stop` and is killed (exit 137)
    assert re.search(r"trap '[^']*' TERM", services["scheduler"]["command"][-1])
    upstream = (ROOT / "deploy/nginx/compose.conf").read_text()
    assert re.search(r"server web1:8000", upstream) and re.search(r"server web2:8000", upstream)


def test_compose_nginx_keeps_the_port_and_the_outer_proxy_s_scheme():
    """Django's CSRF check compares a form's Origin with scheme + Host: nginx on :8080 must pass the
    Host with its port, and behind a TLS proxy the X-Forwarded-Proto that proxy sent."""
    conf = (ROOT / "deploy/nginx/compose.conf").read_text()
    assert re.search(r"proxy_set_header Host \$http_host;", conf)
    forwarded = re.search(r"proxy_set_header X-Forwarded-Proto \$(\w+);", conf)
    assert forwarded and forwarded.group(1) != "scheme"
    mapping = re.search(r"map \$http_x_forwarded_proto \$" + forwarded.group(1) + r" \{([^}]*)\}", conf)
    assert mapping and re.search(r'""\s+\$scheme;', mapping.group(1))


def test_the_build_context_leaves_out_the_virtualenv_local_data_and_secrets():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", ".env", "var"):
        assert entry in ignored


def test_the_image_is_slim_runs_as_a_user_and_carries_the_pdf_libraries():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.M)
    assert re.search(r"^USER baogong$", dockerfile, re.M)
    for package in ("fonts-wqy-zenhei", "libpango-1.0-0", "libpangoft2-1.0-0", "postgresql-client"):
        assert package in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert "BAOGONG_VAR_DIR=/var/lib/baogong" in dockerfile
    # the home holds per-node files (gunicorn's control socket): never the volume the nodes share
    home = re.search(r"useradd .*--home-dir (\S+)", dockerfile)
    assert home and not home.group(1).startswith("/var/lib/baogong")
    # every licence file that pyproject.toml names is in the build (and so in the wheel)
    copied = " ".join(re.findall(r"^COPY (.*)$", dockerfile, re.M)).split()
    licences = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license-files"]
    assert set(licences) <= set(copied)


@pytest.mark.parametrize("unit", ["baogong-web.service", "baogong-worker.service", "baogong-scheduler.service"])
def test_systemd_units_run_as_baogong_with_the_env_file(unit):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(ROOT / "deploy/systemd" / unit)
    service = parser["Service"]
    assert service["User"] == "baogong" and service["EnvironmentFile"] == "/etc/baogong/env"
    assert service["ExecStart"].startswith("/srv/baogong/.venv/bin/")
    assert service["ReadWritePaths"] == "/var/lib/baogong"


def test_the_var_folder_is_the_checkout_s_var_or_the_user_s_data_folder(tmp_path):
    checkout = tmp_path / "src"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text("")
    assert default_var_dir(checkout, {}) == checkout / "var"
    assert default_var_dir(checkout, {"BAOGONG_VAR_DIR": "/data/b"}) == Path("/data/b")
    wheel = tmp_path / "venv/lib/python3.11/site-packages"
    wheel.mkdir(parents=True)
    assert default_var_dir(wheel, {"HOME": "/home/op"}) == Path("/home/op/.local/share/baogong")
    assert default_var_dir(wheel, {"XDG_DATA_HOME": "/xdg"}) == Path("/xdg/baogong")
    (wheel / "pyproject.toml").write_text("")  # a stray file in site-packages does not make it a checkout
    assert default_var_dir(wheel, {"HOME": "/home/op"}) == Path("/home/op/.local/share/baogong")
