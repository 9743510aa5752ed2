"""AWS clients built on botocore directly.

boto3 adds import time and nothing the handlers use, so the Lambdas create botocore clients
(pynamodb does the same). Clients are cached per process and honour AWS_ENDPOINT_URL, which is
how the local stack points everything at its emulated AWS.
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.session
from botocore.config import Config

from shared.platform import config

_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10)


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.cache
def client(service: str) -> Any:
    return _session().create_client(service, region_name=config.region(), config=_CONFIG)


@functools.cache
def secret(secret_id: str) -> str:
    """A Secrets Manager secret's value, read once per process (a Lambda's lifetime)."""
    return client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]


def reply_secret() -> str:
    """The key that signs the tickets' reply addresses: in the cloud a Secrets Manager secret the stack generates
    (CASEWAY_REPLY_SECRET_ARN); locally CASEWAY_REPLY_SECRET or its default."""
    arn = config.get(config.REPLY_SECRET_ARN)
    return secret(arn) if arn else config.get(config.REPLY_SECRET)


def reset() -> None:
    """Forget cached clients (tests switch between emulated AWS instances)."""
    secret.cache_clear()
    client.cache_clear()
    _session.cache_clear()
