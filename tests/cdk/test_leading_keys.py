"""The functions anyone can set off (Telegram's webhook: anyone can POST to it; the pre-token trigger: anyone who
signs in) reach only the table items they need: their IAM grants carry a dynamodb:LeadingKeys condition
(infra/cdk/stack.py), and their real handlers, run here against the emulated table, touch no item outside it. A new
item they start to use fails here before it fails a sign-in in the cloud."""

from __future__ import annotations

import json
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

import pytest
from pynamodb.connection.base import Connection

from functions import cognito_pre_token, telegram_webhook
from infra.cdk.stack import PRE_TOKEN_ACTIONS, PRE_TOKEN_KEYS, TELEGRAM_WEBHOOK_ACTIONS, TELEGRAM_WEBHOOK_KEYS
from infra.local import fake_aws
from infra.local import telegram as local_telegram
from shared.channels import telegram_api
from shared.platform import config

# pynamodb's operation -> the IAM action it needs (a transaction's items each need their own action)
_ACTIONS = {
    "GetItem": ["dynamodb:GetItem"],
    "PutItem": ["dynamodb:PutItem"],
    "UpdateItem": ["dynamodb:UpdateItem"],
    "DeleteItem": ["dynamodb:DeleteItem"],
    "Query": ["dynamodb:Query"],
    "Scan": ["dynamodb:Scan"],
}
_TRANSACT = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


@pytest.fixture
def reach(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    yield from _recording(monkeypatch)


def _recording(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str]]]:
    """Every (IAM action, partition key) the code under test asks of the table."""
    seen: list[tuple[str, str]] = []
    original = Connection._make_api_call

    def recording(self: Connection, operation: str, kwargs: dict[str, Any]) -> Any:
        if operation == "TransactWriteItems":
            for item in kwargs["TransactItems"]:
                (kind, spec), *_ = item.items()
                key = spec.get("Key") or spec.get("Item")
                seen.append((_TRANSACT[kind], key["pk"]["S"]))
        elif operation == "TransactGetItems":
            seen.extend(("dynamodb:GetItem", i["Get"]["Key"]["pk"]["S"]) for i in kwargs["TransactItems"])
        elif operation == "Query":
            seen.append(("dynamodb:Query", kwargs["ExpressionAttributeValues"][":0"]["S"]))
        else:
            key = kwargs.get("Key") or kwargs.get("Item") or {}
            seen.extend((a, key.get("pk", {}).get("S", "<no key>")) for a in _ACTIONS.get(operation, [operation]))
        return original(self, operation, kwargs)

    monkeypatch.setattr(Connection, "_make_api_call", recording)
    yield seen


def _outside(seen: list[tuple[str, str]], actions: tuple[str, ...], keys: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(a, k) for a, k in seen if a not in actions or not any(fnmatchcase(k, p) for p in keys)]


def _token_event(sub: str, email: str, groups: list[str], org: str | None = None) -> dict[str, Any]:
    attributes = {"sub": sub, "email": email, **({"custom:org_id": org} if org else {})}
    return {
        "version": "2",
        "triggerSource": "TokenGeneration_HostedAuth",
        "userName": email,
        "request": {"userAttributes": attributes, "groupConfiguration": {"groupsToOverride": groups}},
        "response": {"claimsAndScopeOverrideDetails": None},
    }


def test_the_pre_token_trigger_reaches_only_peoples_records(api, reach):
    events = [
        _token_event("sub-new-customer", "new@acme.example", ["customer"], "acme"),  # a record made on first sign-in
        _token_event("sub-new-customer", "new@acme.example", ["customer"], "acme"),  # the refresh reads it
        _token_event("sub-new-agent", "new.agent@caseway.example", ["agent"]),  # staff: the day map's line too
    ]
    for event in events:
        cognito_pre_token.handler(event, None)

    assert {k.split("#")[0] for _, k in reach} == {"USER", "EMAIL", "FIGURES"}
    assert _outside(reach, PRE_TOKEN_ACTIONS, PRE_TOKEN_KEYS) == []


def test_the_telegram_webhook_reaches_only_its_updates(api, monkeypatch):
    local_telegram.install()  # the bot's token in the emulated Secrets Manager
    reach = next(_recording(monkeypatch))
    handed: list[dict[str, Any]] = []
    monkeypatch.setattr(telegram_webhook.workflows, "invoke_async", lambda function, payload: handed.append(payload))
    headers = {"content-type": "application/json", telegram_webhook.SECRET_HEADER: telegram_api.webhook_secret()}
    update = {"update_id": 991, "message": {"message_id": 1, "chat": {"id": 5, "type": "private"}, "text": "hi"}}

    def deliver() -> int:
        event = api.gateway.event("POST", "/telegram/webhook", headers, json.dumps(update).encode(), "1.2.3.4", None)
        return telegram_webhook.handler(event, fake_aws.LambdaContext("caseway-telegram-webhook"))["statusCode"]

    assert deliver() == 200 and deliver() == 200  # taken, then Telegram's repeat dropped
    monkeypatch.setattr(telegram_webhook.workflows, "invoke_async", lambda *_: (_ for _ in ()).throw(RuntimeError()))
    update["update_id"] = 992
    assert deliver() == 503  # not handed on: released for Telegram's retry

    assert len(handed) == 1 and config.get(config.TABLE_NAME)
    assert ("dynamodb:DeleteItem", "TGUPDATE#992") in reach
    assert _outside(reach, TELEGRAM_WEBHOOK_ACTIONS, TELEGRAM_WEBHOOK_KEYS) == []
