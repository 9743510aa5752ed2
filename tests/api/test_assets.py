"""The API's Lambda asset leaves out what the API never runs (infra/cdk/bundling.py: PROFILES): the functions of the
asset run with every module the profile drops refused."""

import json
import subprocess
import sys
from pathlib import Path

from infra.cdk import bundling

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import importlib.abc, json, sys
LEFT_OUT = tuple(json.loads(sys.argv[1]))

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in LEFT_OUT or name.startswith(tuple(m + "." for m in LEFT_OUT)):
            raise ImportError(f"{name} is not in the API's asset")

sys.meta_path.insert(0, Refuse())
from infra.local.fake_aws import LambdaContext, apply
apply()
from functions.api import app
from functions import cognito_pre_token, telegram_webhook  # the asset's other functions
for path, status in (("/health", 200), ("/openapi.json", 200), ("/docs", 200), ("/form", 302), ("/tickets", 401),
                     ("/tasks?group=L1", 401), ("/no/such/path", 404)):
    raw, _, query = path.partition("?")
    event = {"version": "2.0", "rawPath": raw, "rawQueryString": query, "headers": {},
             "requestContext": {"http": {"method": "GET", "path": raw, "sourceIp": "127.0.0.1"},
                                "requestId": "r", "stage": "$default"}, "isBase64Encoded": False}
    result = app.handler(event, LambdaContext())
    assert result["statusCode"] == status, (path, result)
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("shared", "functions")))))
"""


def modules_left_out(profile: str) -> list[str]:
    """The importable names the profile's distributions and drops take away (globs of non-modules skipped)."""
    spec = bundling.PROFILES[profile]
    names = {name.replace("-", "_") for name in spec.leave_out}
    for drop in spec.drop:
        if "*" in drop or ".dist-info" in drop:
            continue
        names.add(drop.removesuffix(".py").replace("/", "."))
    return sorted(names)


def test_the_api_runs_without_the_packages_its_asset_leaves_out():
    left_out = modules_left_out("api")
    assert {"holidays", "shared.sla", "babel.messages", "aws_lambda_powertools.utilities.parser"} <= set(left_out)
    done = subprocess.run(
        [sys.executable, "-c", CHECK, json.dumps(left_out)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = done.stdout.strip().splitlines()[-1]
    assert "functions.api.tickets_bodies" in modules and "shared.sla.calendars" not in modules
