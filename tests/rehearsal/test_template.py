"""The rehearsal's template: the dev stage as synthesized, cached by its sources, and its functions as listed."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from infra.cdk.functions import FUNCTIONS
from infra.rehearsal import template


def test_the_desk_functions_are_listed_with_what_the_template_gives_them() -> None:
    synthesized = template.synthesized()
    listed = {f.short_name: f for f in template.functions(synthesized)}
    assert set(listed) == {spec.short_name for spec in FUNCTIONS}
    for spec in FUNCTIONS:
        function = listed[spec.short_name]
        resource = synthesized["Resources"][function.logical_id]
        assert resource["Type"] == "AWS::Lambda::Function"
        assert function.function_name == f"caseway-dev-{spec.short_name}"
        assert function.handler == spec.handler
        assert function.profile == spec.asset
        assert synthesized["Resources"][function.role]["Type"] == "AWS::IAM::Role"
        assert function.environment["POWERTOOLS_SERVICE_NAME"] == spec.service
        assert function.environment["CASEWAY_TABLE_NAME"] == {"Ref": _one(synthesized, "AWS::DynamoDB::Table")}
        # The dev stage logs at DEBUG: what Lambda's JSON logging gets and what powertools reads agree.
        assert function.log_level == function.environment["POWERTOOLS_LOG_LEVEL"] == "DEBUG"
    every = template.functions(synthesized, ours_only=False)
    assert {f.logical_id for f in every} > {f.logical_id for f in listed.values()}
    assert all(f.profile is None for f in every if not f.ours)


def test_each_caller_gets_a_copy_it_may_change() -> None:
    first = template.synthesized()
    first["Resources"].clear()
    assert template.synthesized()["Resources"]


def _one(synthesized: dict[str, Any], resource_type: str) -> str:
    (found,) = [k for k, v in synthesized["Resources"].items() if v["Type"] == resource_type]
    return found


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small tree standing for the CDK app's sources, with the cache beside it."""
    for name in ("pyproject.toml", "cdk.json"):
        (tmp_path / name).write_text("{}")
    for folder in template.SOURCE_FOLDERS:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "module.py").write_text("x = 1\n")
    monkeypatch.setattr(template, "ROOT", tmp_path)
    monkeypatch.setattr(template, "CACHE_DIR", tmp_path / ".cache" / "rehearsal")
    monkeypatch.setattr(template, "_specs_by_handler", lambda: {})
    return tmp_path


def test_the_cache_key_follows_every_source(sources: Path) -> None:
    key = template.source_key()
    (sources / "statemachines" / "module.py").write_text("x = 2\n")
    changed = template.source_key()
    assert changed != key
    (sources / "shared" / "__pycache__").mkdir()
    (sources / "shared" / "__pycache__" / "module.cpython-311.pyc").write_bytes(b"compiled")
    assert template.source_key() == changed, "compiled files do not change the template"
    (sources / "infra" / "local").mkdir()
    (sources / "infra" / "local" / "stack.py").write_text("the local stack\n")
    assert template.source_key() == changed, "the CDK app does not import the local stack"
    (sources / "infra" / "cdk").mkdir()
    (sources / "infra" / "cdk" / "stack.py").write_text("the stack\n")
    assert template.source_key() != changed
    changed = template.source_key()
    (sources / "pyproject.toml").write_text('{"changed": true}')
    assert template.source_key() != changed
    assert template.source_key("prod") != template.source_key("dev")


def test_two_workers_asking_at_once_synthesize_once(sources: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second caller reaches the lock while the first is still synthesizing; it waits, then reads the first's."""
    second_at_lock, first_synthesizing = threading.Event(), threading.Event()
    synthesized: list[str] = []
    locked = template._locked

    def synthesize(stage: str) -> dict[str, Any]:
        synthesized.append(threading.current_thread().name)
        first_synthesizing.set()
        assert second_at_lock.wait(10), "the second caller never asked"
        return {"Resources": {"Table": {"Type": "AWS::DynamoDB::Table"}}}

    def lock(path: Path) -> Any:
        if threading.current_thread().name == "second":
            second_at_lock.set()
        return locked(path)

    monkeypatch.setattr(template, "synthesize", synthesize)
    monkeypatch.setattr(template, "_locked", lock)
    results: dict[str, Any] = {}
    first = threading.Thread(target=lambda: results.update(first=template.synthesized()), name="first")
    first.start()
    assert first_synthesizing.wait(10)  # the first holds the lock and synthesizes
    second = threading.Thread(target=lambda: results.update(second=template.synthesized()), name="second")
    second.start()
    first.join(10)
    second.join(10)
    assert synthesized == ["first"]
    assert results["first"] == results["second"] == {"Resources": {"Table": {"Type": "AWS::DynamoDB::Table"}}}
    assert not list((sources / ".cache" / "rehearsal").glob("*.partial")), "no half-written file is left"
