"""What emulated AWS needs from the process: fake credentials and a Lambda context. No imports of
the project here, so it can be applied before anything else loads."""

from __future__ import annotations

import os

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def apply(env: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """Point `env` (default: this process) at fake credentials and no real endpoint."""
    target = os.environ if env is None else env
    target.pop("AWS_ENDPOINT_URL", None)
    target.update({**FAKE_AWS_ENV, **extra})
    return target


class LambdaContext:
    """The parts of the Lambda context object the handlers and powertools read."""

    memory_limit_in_mb = 512
    aws_request_id = "local"

    def __init__(self, function_name: str = "caseway-api") -> None:
        self.function_name = function_name
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000
