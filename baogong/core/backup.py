"""Backup and restore of the database and uploaded files in one archive.

The archive is a ``.tar.gz`` with ``manifest.json``, the database (``db.sqlite3`` taken with
SQLite's online backup API, or ``db.pgdump`` from ``pg_dump -Fc``) and ``media/``: every uploaded
file, from the media folder or, with an object store (``S3_BUCKET``), from the bucket; a restore puts
them back where the uploads live now (the bucket is emptied first, like the folder).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, connections

from baogong.core.storage import is_object_store, iter_names, media_storage

FORMAT_VERSION = 1


def _pg_env() -> tuple[list[str], dict[str, str]]:
    params = connection.settings_dict
    env = dict(os.environ)
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    args = ["-h", str(params.get("HOST") or "127.0.0.1"), "-p", str(params.get("PORT") or 5432)]
    if params.get("USER"):
        args += ["-U", str(params["USER"])]
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} not found: install the PostgreSQL client tools")
    return path


def _database_name() -> str:
    return str(connection.settings_dict["NAME"])


def create_backup(output: Path) -> dict[str, Any]:
    """Write a backup archive to ``output`` and return its manifest."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        vendor = connection.vendor
        if vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(work / "db.sqlite3")
            with target:
                connection.connection.backup(target)
            target.close()
            db_file = "db.sqlite3"
        elif vendor == "postgresql":
            args, env = _pg_env()
            subprocess.run(  # noqa: S603 - fixed executable, arguments from settings
                [_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(work / "db.pgdump"), *args, _database_name()],
                check=True,
                env=env,
                capture_output=True,
            )
            db_file = "db.pgdump"
        else:
            raise RuntimeError(f"backup does not support {vendor}")
        storage = media_storage()
        names = sorted(iter_names(storage))
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "vendor": vendor,
            "database": db_file,
            "media_files": len(names),
            "media_storage": "s3" if is_object_store(storage) else "filesystem",
        }
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        tmp_out = output.with_suffix(output.suffix + ".partial")
        # the archive holds residents', tenants' and staff's personal data: readable by its owner only
        fd = os.open(tmp_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(work / "manifest.json", arcname="manifest.json")
            tar.add(work / db_file, arcname=db_file)
            for name in names:
                _add_stored(tar, storage, name)
        tmp_out.replace(output)  # the archive appears whole or not at all
    return manifest


def restore_backup(archive: Path) -> dict[str, Any]:
    """Replace the database and the uploaded files with the archive's content."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
        manifest = json.loads((work / "manifest.json").read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise RuntimeError("unknown backup format")
        if manifest["vendor"] != connection.vendor:
            raise RuntimeError(f"backup is from {manifest['vendor']}, this database is {connection.vendor}")
        if connection.vendor == "sqlite":
            source = sqlite3.connect(work / manifest["database"])
            connection.ensure_connection()
            with source:
                source.backup(connection.connection)
            source.close()
        else:
            for conn in connections.all():
                conn.close()
            args, env = _pg_env()
            subprocess.run(  # noqa: S603 - fixed executable, arguments from settings
                [
                    _tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--single-transaction",
                    *args,
                    "-d",
                    _database_name(),
                    str(work / manifest["database"]),
                ],
                check=True,
                env=env,
                capture_output=True,
            )
        _restore_media(work / "media")
    return manifest


def _add_stored(tar: tarfile.TarFile, storage: Any, name: str) -> None:
    """Add one stored file as ``media/<name>`` (streamed from the disk or the bucket)."""
    info = tarfile.TarInfo(str(Path("media") / name))
    info.size = int(storage.size(name))
    modified = storage.get_modified_time(name)
    info.mtime = int(modified.timestamp()) if modified else 0
    with storage.open(name, "rb") as handle:
        tar.addfile(info, handle)


def _restore_media(restored: Path) -> None:
    storage: Any = media_storage()
    if is_object_store(storage):
        for name in list(iter_names(storage)):
            storage.delete(name)
        if restored.exists():
            bucket = storage.bucket
            for path in sorted(p for p in restored.rglob("*") if p.is_file()):
                key = storage._normalize_name(str(path.relative_to(restored).as_posix()))
                bucket.upload_file(str(path), key)  # as backed up: checked when first uploaded
        return
    media = Path(settings.MEDIA_ROOT)
    if media.exists():
        shutil.rmtree(media)
    if restored.exists():
        shutil.copytree(restored, media)
    else:
        media.mkdir(parents=True, exist_ok=True)
