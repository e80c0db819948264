"""A real S3-compatible server for tests: moto's server mode (``moto[server]``, from PyPI) on a local
port, spoken to over HTTP by boto3 exactly as MinIO, Aliyun OSS or Tencent COS would be."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

ACCESS_KEY = "baogong-test"
SECRET_KEY = "baogong-test-secret"  # noqa: S105 - moto accepts any key
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def s3_server(port: int | None = None) -> Iterator[str]:
    """Run the server for the block; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def make_bucket(endpoint: str, name: str) -> None:
    import boto3

    client = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
    )
    client.create_bucket(Bucket=name)


def storage_options(endpoint: str, bucket: str) -> dict[str, Any]:
    """``STORAGES["default"]`` as settings.py builds it from S3_* variables."""
    return {
        "BACKEND": "baogong.core.storage.GuardedS3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "region_name": REGION,
            "addressing_style": "path",
            "signature_version": "s3v4",
            "location": "",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }


def environment(endpoint: str, bucket: str) -> dict[str, str]:
    """The same as environment variables, for a node started as its own process."""
    return {
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": endpoint,
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "S3_REGION": REGION,
        "S3_ADDRESSING_STYLE": "path",
    }
