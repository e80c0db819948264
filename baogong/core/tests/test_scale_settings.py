"""The environment switches a node from embedded to shared services: REDIS_URL → Redis cache,
S3_BUCKET → the guarded object store, DATABASE_REPLICA_URL → a replica alias and its router;
none of them set → per-process cache, the media folder, one database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps([s.CACHES['default']['BACKEND'], s.STORAGES['default']['BACKEND'], "
    "sorted(s.DATABASES), getattr(s, 'DATABASE_ROUTERS', [])]))"
)


def _settings(tmp_path, **env):
    base = {
        k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "CACHE_URL", "S3_BUCKET", "DATABASE_REPLICA_URL"}
    }
    base.update(DJANGO_SETTINGS_MODULE="baogong.settings", BAOGONG_VAR_DIR=str(tmp_path), **env)
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=base, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-1500:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_embedded_by_default_and_shared_services_from_the_environment(tmp_path):
    assert _settings(tmp_path) == [
        "django.core.cache.backends.locmem.LocMemCache",
        "baogong.core.uploads.GuardedFileSystemStorage",
        ["default"],
        [],
    ]
    assert _settings(
        tmp_path,
        REDIS_URL="redis://127.0.0.1:6379/3",
        S3_BUCKET="baogong-media",
        DATABASE_REPLICA_URL="postgres://reader@replica:5432/baogong",
    ) == [
        "baogong.core.cache.RedisCache",
        "baogong.core.storage.GuardedS3Storage",
        ["default", "replica"],
        ["baogong.core.dbrouter.ReplicaRouter"],
    ]
