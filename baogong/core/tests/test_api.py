import json

from baogong.core.models import IdempotencyRecord
from baogong.orgs.models import Site


def test_healthz(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_api_without_token_answers_401_with_error_body(client, base):
    response = client.get("/api/v1/sites/")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == "not_authenticated"


def test_bad_token_answers_401(client, base):
    response = client.get("/api/v1/sites/", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401


def test_sites_list_paginates_and_has_contract_fields(api_for):
    api = api_for("commander")
    first = api.get("/api/v1/sites/?page_size=5").json()
    assert set(first) == {"count", "next", "previous", "results"}
    assert len(first["results"]) == 5 and first["previous"] is None and "page=2" in first["next"]
    site = first["results"][0]
    for key in ("id", "code", "name", "kind", "organisation", "lat", "lon", "status"):
        assert key in site
    detail = api.get(f"/api/v1/sites/{site['id']}/").json()
    assert detail == site
    big = api.get("/api/v1/sites/?page_size=100000").json()
    assert len(big["results"]) == min(500, big["count"])


def test_sites_filter_by_kind(api_for):
    data = api_for("commander").get("/api/v1/sites/?kind=street_office").json()
    assert data["count"] == 12
    assert all(s["kind"] == "street_office" for s in data["results"])


def test_create_site_validation_errors_are_field_level_and_translated(api_for):
    api = api_for("commander")
    response = api.post(
        "/api/v1/sites/",
        {"code": "", "kind": "spaceship", "organisation": "BSZF"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert {"code", "name", "kind"} <= set(body["details"])
    assert "不能为空" in body["details"]["code"][0] or "该字段" in body["details"]["name"][0]
    english = api.post("/api/v1/sites/", {"code": "x"}, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["details"]["name"] == ["This field is required."]


def test_idempotency_key_replays_and_creates_once(api_for):
    api = api_for("commander")
    payload = {"code": "DP-IDEM", "name": "配送点", "kind": "delivery_point", "organisation": "BSZF"}
    first = api.post("/api/v1/sites/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post("/api/v1/sites/", payload, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and second.status_code == 201
    assert json.loads(second.content) == json.loads(first.content)
    assert second["Idempotent-Replayed"] == "true"
    assert Site.objects.filter(code="DP-IDEM").count() == 1
    other = api.post("/api/v1/sites/", {**payload, "name": "另一个"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Site.objects.get(code="DP-IDEM").name == "配送点"


def test_idempotency_keys_are_per_client(api_for):
    payload = {"code": "DP-A", "name": "A", "kind": "delivery_point", "organisation": "BSZF"}
    api_for("commander").post("/api/v1/sites/", payload, format="json", HTTP_IDEMPOTENCY_KEY="same")
    response = api_for("commander").post(
        "/api/v1/sites/", {**payload, "code": "DP-B"}, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    assert response.status_code == 201
    assert IdempotencyRecord.objects.filter(key="same").count() == 2


def test_openapi_schema_and_docs(api_for, client):
    api = api_for("commander")
    schema = api.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/sites/" in paths and "/api/v1/sites/{id}/" in paths
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def test_healthz_answers_a_probe_by_the_node_s_own_address_over_plain_http(client, db, settings):
    """Compose's and the image's health checks call http://127.0.0.1:8000/healthz: an address that
    is not in ALLOWED_HOSTS, over HTTP with the production SSL redirect on. Only /healthz is spared."""
    settings.ALLOWED_HOSTS = ["baogong.example.cn"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert client.head("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 200
    # every other path still checks the host and redirects to HTTPS
    assert client.get("/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.get("/healthz/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    redirected = client.get("/login/", HTTP_HOST="baogong.example.cn")
    assert redirected.status_code == 301
    assert redirected["Location"] == "https://baogong.example.cn/login/"
