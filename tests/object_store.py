"""A real S3-compatible HTTP server on 127.0.0.1 for the tests (moto's server, in a thread)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class ObjectStore:
    endpoint_url: str
    bucket: str

    def config(self) -> dict[str, str]:
        """The portal's settings for this store (``MOOC_MEDIA_STORAGE = "s3"``)."""
        return {
            "MOOC_MEDIA_STORAGE": "s3",
            "MOOC_MEDIA_S3_BUCKET": self.bucket,
            "MOOC_MEDIA_S3_ENDPOINT_URL": self.endpoint_url,
            "MOOC_MEDIA_S3_REGION": "us-east-1",
            "MOOC_MEDIA_S3_ACCESS_KEY_ID": "test-key",
            "MOOC_MEDIA_S3_SECRET_ACCESS_KEY": "test-secret",
        }

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="test-key",
            aws_secret_access_key="test-secret",
        )

    def keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return [item["Key"] for item in listed.get("Contents", [])]


@contextmanager
def object_store() -> Iterator[ObjectStore]:
    """An S3 server on a free port of 127.0.0.1 with an empty bucket; stopped after."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        store = ObjectStore(f"http://{host}:{port}", f"mooc-test-{uuid.uuid4().hex[:10]}")
        store.client().create_bucket(Bucket=store.bucket)
        yield store
    finally:
        server.stop()
