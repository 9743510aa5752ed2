"""The setup step (shared/setup, functions/setup.py): a fresh desk gets the default catalog, groups, calendars and
plans, and the mandatory articles; a second run writes nothing; what a manager changed survives a run with newer
defaults; the stack's custom resource is answered as CloudFormation expects."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.client import BaseClient

from functions import setup as setup_lambda
from shared import desk
from shared.clocks import plans as clock_plans
from shared.directory import services
from shared.kb import agreements
from shared.platform import aws, config
from shared.setup import defaults, step
from shared.setup.items import get_state
from shared.sla.plans import PLANS
from tests.conftest import LENA, MARIA, Api

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


@pytest.fixture
def requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS request made from here on, by operation name (the emulation still answers them)."""
    seen: list[str] = []
    original = BaseClient._make_api_call

    def record(client: Any, operation: str, params: dict[str, Any]) -> Any:
        seen.append(operation)
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    return seen


@pytest.fixture
def empty_desk(emulated_aws: None) -> Api:
    """A freshly deployed stage: the resources, no data at all (no demo)."""
    desk.assemble()
    return Api()


def table_items() -> dict[tuple[str, str], dict[str, Any]]:
    client, found, request = aws.client("dynamodb"), {}, {"TableName": config.get(config.TABLE_NAME)}
    while True:
        page = client.scan(**request)
        found.update({(i["pk"]["S"], i["sk"]["S"]): i for i in page["Items"]})
        if "LastEvaluatedKey" not in page:
            return found
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def test_a_fresh_desk_is_set_up_once_and_a_second_run_writes_nothing(empty_desk, requests):
    api = empty_desk
    # Given a desk with nothing in it: no services for the web form
    assert api("GET", "/services").json["items"] == []

    # When the setup runs
    first = step.run_setup()

    # Then it created every default: the catalog, the groups the routes name, the calendar and both plans, and the
    # mandatory articles (two hand-written, an agreement per plan, the internal targets)
    expected_articles = {f"kb:{spec.slug}" for spec in agreements.mandatory_articles()}
    assert set(first["created"]) == {d.key for d in defaults.default_items()} | expected_articles
    assert {k for k in first["created"] if k.startswith(("service:", "plan:", "calendar:", "group:"))} == {
        "service:functionality-question",
        "service:document-request",
        "service:licence-key",
        "service:change-request",
        "group:L1",
        "group:office",
        "group:L2",
        "group:managers",
        "group:accounts",
        "calendar:office",
        "calendar:office@v1",
        "plan:default",
        "plan:default@v1",
        "plan:vip",
        "plan:vip@v1",
    }
    assert (first["version"], first["previous_version"]) == (defaults.SETUP_VERSION, None)
    assert any(op in WRITES for op in requests)
    # and the desk works from it: customers see the catalog in order, staff the groups and the articles
    assert [s["key"] for s in api("GET", "/services").json["items"]] == [s["key"] for s in services.DEFAULT_SERVICES]
    groups = {g["name"]: g["line"] for g in api("GET", "/routing/groups", user=MARIA).json["items"]}
    assert groups == {"L1": "L1", "office": "L1", "L2": "L2", "managers": "managers", "accounts": "managers"}
    assert api("GET", "/kb/articles/how-to-work-with-support", user=LENA).status == 200
    # and the calendar and plans are stored as their first versions, which read back into the same plans
    clock_plans.new_invocation()
    assert {name: clock_plans.plan_named(name) for name in PLANS} == PLANS
    assert [v["version"] for v in api("GET", "/sla/plans/default/versions", user=MARIA).json["items"]] == [1]
    state = get_state()
    assert state is not None and int(state.version) == defaults.SETUP_VERSION

    # When it runs again with the same defaults
    before = table_items()
    requests.clear()
    second = step.run_setup()

    # Then it only read: not one write request, and the table is exactly as it was
    assert [op for op in requests if op in WRITES] == []
    assert requests  # it did read what is there
    assert table_items() == before
    assert second["created"] == second["updated"] == second["kept"] == []
    assert set(second["unchanged"]) == set(first["created"])
    assert second["previous_version"] == defaults.SETUP_VERSION


def newer_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """A later version of the code: setup version 2 with new texts for two services and two hand-written articles."""
    monkeypatch.setattr(step, "SETUP_VERSION", 2)
    monkeypatch.setattr(defaults, "SETUP_VERSION", 2)
    changed = {"document-request": "Invoices, certificates, statements (v2)", "licence-key": "New keys (v2)"}
    monkeypatch.setattr(
        services,
        "DEFAULT_SERVICES",
        [{**s, "description": changed.get(s["key"], s["description"])} for s in services.DEFAULT_SERVICES],
    )
    for name in ("HOW_TO_WORK_WITH_SUPPORT", "HOW_TO_WORK_WITH_CUSTOMERS"):
        spec = getattr(agreements, name)
        monkeypatch.setattr(agreements, name, dataclasses.replace(spec, body=spec.body + "\n\nUpdated in version 2."))


def test_what_a_manager_changed_survives_a_run_with_newer_defaults(empty_desk, monkeypatch):
    api = empty_desk
    step.run_setup()
    # Given a manager renamed a default service and rewrote a mandatory article
    service = next(
        s for s in api("GET", "/catalog/services", user=MARIA).json["items"] if s["key"] == "document-request"
    )
    body = {k: service[k] for k in ("title", "description", "route", "groups", "customer_visible")}
    body["intake_fields"] = [{"key": f["key"], "required": f["required"]} for f in service["intake_fields"]]
    assert api("PUT", "/services/document-request", user=MARIA, body={**body, "title": "Paperwork"}).status == 200
    edited = api(
        "PATCH", "/kb/articles/how-to-work-with-support", user=MARIA, body={"body": "Call Maria on +420 111 222 333."}
    )
    assert edited.status == 200, edited.text
    # and another removed a default group the setup had written (the desk has no second-line group of that name)
    aws.client("dynamodb").delete_item(
        TableName=config.get(config.TABLE_NAME), Key={"pk": {"S": "ROUTING"}, "sk": {"S": "GROUP#accounts"}}
    )

    # When a newer version of the defaults is set up (new texts for both services and both articles)
    newer_defaults(monkeypatch)
    result = step.run_setup()

    # Then the manager's service and article are kept as the manager left them
    assert {"service:document-request", "kb:how-to-work-with-support"} <= set(result["kept"])
    listed = {s["key"]: s for s in api("GET", "/services").json["items"]}
    assert listed["document-request"]["title"] == "Paperwork"
    assert listed["document-request"]["description"] == service["description"]
    article = api("GET", "/kb/articles/how-to-work-with-support", user=LENA).json
    assert article["body"] == "Call Maria on +420 111 222 333."
    # while the defaults nobody touched are brought up to date
    assert {"service:licence-key", "kb:how-to-work-with-customers"} <= set(result["updated"])
    assert listed["licence-key"]["description"] == "New keys (v2)"
    customers = api("GET", "/kb/articles/how-to-work-with-customers", user=LENA).json
    assert customers["body"].endswith("Updated in version 2.")
    assert customers["version"] == 2
    # and the removed group is not written again
    assert result["removed"] == ["group:accounts"]
    assert "accounts" not in {g["name"] for g in api("GET", "/routing/groups", user=MARIA).json["items"]}
    state = get_state()
    assert state is not None and int(state.version) == 2
    assert [entry["version"] for entry in state.history] == [1, 2]

    # And a further run leaves all of it alone again
    again = step.run_setup()
    assert again["created"] == again["updated"] == []
    assert api("GET", "/services").json["items"][1]["title"] == "Paperwork"


def test_a_desk_seeded_before_setup_existed_keeps_its_items(empty_desk):
    api = empty_desk
    # Given a service saved by the logic layer before the setup ever ran (no mark: not the setup's)
    step.run_setup()
    state = get_state()
    assert state is not None
    state.delete()
    aws.client("dynamodb").delete_item(
        TableName=config.get(config.TABLE_NAME), Key={"pk": {"S": "CATALOG"}, "sk": {"S": "SERVICE#licence-key"}}
    )
    service = next(s for s in api("GET", "/catalog/services", user=MARIA).json["items"] if s["key"] == "change-request")
    body = {k: service[k] for k in ("title", "description", "route", "groups", "customer_visible")}
    body["intake_fields"] = [{"key": f["key"], "required": f["required"]} for f in service["intake_fields"]]
    assert api("PUT", "/services/change-request", user=MARIA, body={**body, "title": "Changes"}).status == 200

    # When the setup runs on it (its state gone too: it does not know what it wrote)
    result = step.run_setup()

    # Then the missing default is created, the changed one is kept
    assert result["created"] == ["service:licence-key"]
    assert "service:change-request" in result["kept"]
    titles = {s["key"]: s["title"] for s in api("GET", "/services").json["items"]}
    assert titles["change-request"] == "Changes"
    assert titles["licence-key"] == "Licence key request"


# --- the stack's custom resource ---------------------------------------------------------------------------------


class CloudFormation:
    """The pre-signed URL CloudFormation waits on: records each PUT answer."""

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        answers, headers = self.answers, self.headers

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers["content-length"])
                answers.append(json.loads(self.rfile.read(length)))
                headers.append(dict(self.headers))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def event(self, request_type: str, **extra: Any) -> dict[str, Any]:
        return {
            "RequestType": request_type,
            "ResponseURL": f"http://127.0.0.1:{self.server.server_port}/signed?X-Amz-Signature=abc",
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/caseway-dev/1",
            "RequestId": "request-1",
            "LogicalResourceId": "SetupRunFC69EA6A",
            "ResourceType": "Custom::CasewayDeskSetup",
            "ResourceProperties": {"SetupVersion": "1"},
            **extra,
        }


@pytest.fixture
def cloudformation() -> Iterator[CloudFormation]:
    cfn = CloudFormation()
    yield cfn
    cfn.server.shutdown()
    cfn.server.server_close()


def test_the_deploy_sets_the_desk_up_and_removing_the_resource_keeps_the_data(empty_desk, cloudformation, requests):
    api = empty_desk
    # When CloudFormation creates the setup resource
    setup_lambda.handler(cloudformation.event("Create"), None)

    # Then the desk is set up and CloudFormation is told so, for this request and resource
    created = cloudformation.answers[-1]
    assert created["Status"] == "SUCCESS", created
    assert (created["RequestId"], created["LogicalResourceId"]) == ("request-1", "SetupRunFC69EA6A")
    assert created["PhysicalResourceId"] == setup_lambda.PHYSICAL_ID
    assert created["Data"]["Version"] == str(defaults.SETUP_VERSION)
    assert int(created["Data"]["created"]) == len(defaults.default_items()) + len(agreements.mandatory_articles())
    assert cloudformation.headers[-1].get("content-type", "") == ""  # as the pre-signed URL was signed
    assert len(api("GET", "/services").json["items"]) == len(services.DEFAULT_SERVICES)

    # When a later deploy updates it: the same resource, nothing written again
    requests.clear()
    setup_lambda.handler(cloudformation.event("Update", PhysicalResourceId=setup_lambda.PHYSICAL_ID), None)
    assert cloudformation.answers[-1]["Status"] == "SUCCESS"
    assert cloudformation.answers[-1]["PhysicalResourceId"] == setup_lambda.PHYSICAL_ID
    assert cloudformation.answers[-1]["Data"]["created"] == "0"
    assert [op for op in requests if op in WRITES] == []

    # When the resource (or the stack) is deleted: success, and the desk's data stays
    before = table_items()
    setup_lambda.handler(cloudformation.event("Delete", PhysicalResourceId=setup_lambda.PHYSICAL_ID), None)
    assert cloudformation.answers[-1]["Status"] == "SUCCESS"
    assert table_items() == before


def test_a_failing_setup_fails_the_deploy_with_its_reason(empty_desk, cloudformation, monkeypatch):
    def broken() -> dict:
        raise RuntimeError("table not reachable")

    monkeypatch.setattr(setup_lambda, "run_setup", broken)
    setup_lambda.handler(cloudformation.event("Create"), None)
    answer = cloudformation.answers[-1]
    assert answer["Status"] == "FAILED"
    assert "RuntimeError: table not reachable" in answer["Reason"]


def test_invoked_directly_it_answers_what_it_did(empty_desk):
    result = setup_lambda.handler({"action": "setup"}, None)
    assert "service:licence-key" in result["created"]
    assert setup_lambda.handler({"action": "setup"}, None)["created"] == []
