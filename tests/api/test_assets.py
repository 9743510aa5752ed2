"""The API's Lambda asset leaves out what the API never runs (infra/cdk/bundling.py: PROFILES)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import importlib.abc, json, sys
LEFT_OUT = ("holidays", "shared.sla.calendars", "shared.sla", "nh3", "pydantic.v1")

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.startswith(LEFT_OUT):
            raise ImportError(f"{name} is not in the API's asset")

sys.meta_path.insert(0, Refuse())
from infra.local.fake_aws import LambdaContext, apply
apply()
from functions.api import app
for path, status in (("/health", 200), ("/openapi.json", 200), ("/docs", 200), ("/form", 302)):
    event = {"version": "2.0", "rawPath": path, "rawQueryString": "", "headers": {},
             "requestContext": {"http": {"method": "GET", "path": path, "sourceIp": "127.0.0.1"},
                                "requestId": "r", "stage": "$default"}, "isBase64Encoded": False}
    result = app.handler(event, LambdaContext())
    assert result["statusCode"] == status, (path, result)
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("shared", "functions")))))
"""


def test_the_api_runs_without_the_packages_its_asset_leaves_out():
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    modules = done.stdout.strip().splitlines()[-1]
    assert "functions.api.tickets_bodies" in modules and "shared.sla.calendars" not in modules
