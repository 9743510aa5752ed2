"""The API behind CloudFront with a WAF web ACL (StageSettings.edge_waf, infra/cdk/edge.py): per-IP rate limits on the
anonymous routes and on everything, answered 429 as problem+json; the app, its CSP and Telegram use the edge; cdk-nag
finds nothing unacknowledged; a stage outside us-east-1 is told why it cannot have it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.app import build_stack
from infra.cdk import nag
from infra.stages import settings_for

ROOT = Path(__file__).resolve().parents[2]


def _app() -> cdk.App:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    context["aws:cdk:bundling-stacks"] = []
    return cdk.App(context=context)


@pytest.fixture(scope="module")
def edge() -> tuple[cdk.App, dict[str, Any]]:
    app = _app()
    settings = settings_for("dev", {"caseway:edge_waf": "true"})
    stack = build_stack(app, settings)
    return app, app.synth().get_stack_by_name(stack.stack_name).template


def _of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


def test_the_web_acl_limits_each_ip_on_the_anonymous_routes_and_on_everything(edge):
    _, template = edge
    (acl,) = _of_type(template, "AWS::WAFv2::WebACL")
    props = acl["Properties"]
    assert props["Scope"] == "CLOUDFRONT" and props["DefaultAction"] == {"Allow": {}}
    rules = {r["Name"]: r for r in props["Rules"]}
    assert list(rules) == ["anonymous-per-ip", "all-per-ip"]
    anonymous = rules["anonymous-per-ip"]["Statement"]["RateBasedStatement"]
    assert (anonymous["AggregateKeyType"], anonymous["Limit"], anonymous["EvaluationWindowSec"]) == ("IP", 100, 300)
    match = anonymous["ScopeDownStatement"]["ByteMatchStatement"]
    assert (match["SearchString"], match["PositionalConstraint"]) == ("/public/", "STARTS_WITH")
    assert rules["all-per-ip"]["Statement"]["RateBasedStatement"]["Limit"] == 2000
    for rule in rules.values():
        block = rule["Action"]["Block"]["CustomResponse"]
        assert block["ResponseCode"] == 429
        body = props["CustomResponseBodies"][block["CustomResponseBodyKey"]]
        assert body["ContentType"] == "APPLICATION_JSON" and json.loads(body["Content"])["status"] == 429


def test_the_api_distribution_carries_the_acl_and_the_app_uses_it(edge):
    _, template = edge
    (acl_id,) = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::WAFv2::WebACL"]
    api_edge = [
        d["Properties"]["DistributionConfig"]
        for d in _of_type(template, "AWS::CloudFront::Distribution")
        if "WebACLId" in d["Properties"]["DistributionConfig"]
    ]
    (config,) = api_edge
    assert config["WebACLId"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    behavior = config["DefaultCacheBehavior"]
    assert "POST" in behavior["AllowedMethods"] and behavior["ViewerProtocolPolicy"] == "https-only"
    csp = nag.flatten_reference(
        _of_type(template, "AWS::CloudFront::ResponseHeadersPolicy")[0]["Properties"]["ResponseHeadersPolicyConfig"][
            "SecurityHeadersConfig"
        ]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    )
    assert "https://<ApiEdgeDistribution" in csp  # the app's pages call the API through the edge
    assert template["Outputs"]["ApiEdgeUrl"]


def test_cdk_nag_finds_nothing_unacknowledged_with_the_edge(edge):
    app, _ = edge
    report = AwsSolutionsChecks().validate_scope(app)
    findings = [f"{v.rule_name} at {r.construct_path}" for v in report.violations for r in v.violating_resources]
    assert not findings, "\n".join(findings)


def test_a_stage_outside_us_east_1_is_told_why():
    settings = settings_for("dev", {"caseway:edge_waf": "true", "caseway:region": "eu-central-1"})
    with pytest.raises(ValueError, match="edge_waf needs the stack in us-east-1"):
        build_stack(_app(), settings)
