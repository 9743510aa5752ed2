"""The rehearsal fails where the cloud would, naming the cause: a copy of the template or of an asset is changed, and
the function's own process must fail with the function and the cause in its error. No emulated AWS is needed: each
fault shows before the function's first AWS call (its endpoint is a closed port)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from infra.rehearsal.intrinsics import Physical
from infra.rehearsal.runner import InvocationFailed, Runner
from infra.rehearsal.stage import Prepared

CLOSED_PORT = "http://127.0.0.1:9"
SES_EVENT = {"Records": [{"eventSource": "aws:ses", "ses": {"mail": {"messageId": "m1"}, "receipt": {}}}]}


def physical_for(template: dict[str, Any]) -> Physical:
    """Every resource named after its logical id: enough to resolve the environments."""
    physical = Physical()
    for logical_id in template["Resources"]:
        physical.add(
            logical_id,
            f"caseway-dev-{logical_id.lower()}",
            Arn=f"arn:aws:rehearsal:us-east-1:123456789012:{logical_id}",
            ApiEndpoint="http://127.0.0.1:9",
            DomainName="127.0.0.1:9",
        )
    return physical


def runner(prepared: Path, tmp_path: Path, template: dict[str, Any], **kwargs: Any) -> Runner:
    stage = Prepared.load(prepared)
    return Runner(
        template,
        physical_for(template),
        CLOSED_PORT,
        tmp_path / "records",
        assets=stage.asset_paths(),
        runtime=Path(stage.runtime),
        profiles=stage.profiles,
        **kwargs,
    )


def logical_id(template: dict[str, Any], handler: str) -> str:
    return next(k for k, r in template["Resources"].items() if (r.get("Properties") or {}).get("Handler") == handler)


def test_a_dropped_environment_variable_fails_the_function_that_reads_it(prepared: Path, tmp_path: Path) -> None:
    template = Prepared.load(prepared).template()
    inbound = logical_id(template, "functions.inbound_email.handler")
    mutated = copy.deepcopy(template)
    del mutated["Resources"][inbound]["Properties"]["Environment"]["Variables"]["CASEWAY_INBOUND_BUCKET"]
    rehearsed = runner(prepared, tmp_path, mutated)
    try:
        with pytest.raises(InvocationFailed) as failed:
            rehearsed.invoke(inbound, SES_EVENT)
    finally:
        rehearsed.close()
    assert failed.value.error_type == "MissingSetting"
    assert inbound in failed.value.error_message and "CASEWAY_INBOUND_BUCKET" in failed.value.error_message
    assert rehearsed.settings()[inbound]["CASEWAY_INBOUND_BUCKET"] is False


def test_a_module_left_out_of_an_asset_fails_the_function_that_imports_it(prepared: Path, tmp_path: Path) -> None:
    template = Prepared.load(prepared).template()
    housekeeping = logical_id(template, "functions.housekeeping.handler")
    workers = Prepared.load(prepared).asset_paths()["workers"]
    # A copy of the workers' asset without shared/review (links to the rest: nothing of the asset is changed)
    copied = tmp_path / "asset"
    copied.mkdir()
    for entry in workers.iterdir():
        if entry.name != "shared":
            (copied / entry.name).symlink_to(entry)
    (copied / "shared").mkdir()
    for entry in (workers / "shared").iterdir():
        if entry.name != "review":
            (copied / "shared" / entry.name).symlink_to(entry)
    rehearsed = runner(prepared, tmp_path, template, asset_override={housekeeping: copied})
    try:
        with pytest.raises(InvocationFailed) as failed:
            rehearsed.invoke(housekeeping, {"action": "billing_check"})
    finally:
        rehearsed.close()
    assert failed.value.error_type == "ModuleNotFoundError"
    assert "shared.review" in failed.value.error_message
