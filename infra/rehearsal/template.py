"""The synthesized template the rehearsal runs: the dev stage, as the CDK app writes it, cached.

Synthesizing takes seconds and half a gigabyte, so the template is kept under `.cache/rehearsal/`, keyed by
everything that can change it: the content of the CDK app's sources (infra/, statemachines/, shared/ and functions/:
the stack reads the ASL, the handlers, the settings and the schedules from them), pyproject.toml and cdk.json. A
change to any of them is a new key, so a stale template is never read. Left out: infra/local/ and infra/rehearsal/
(the CDK app imports neither: editing the local stack does not cost a synth) and the built web app (web/dist
changes only the hash of the site's deployment asset, which nothing here deploys). The app is built in this process with
aws-cdk-lib, without bundling (context `aws:cdk:bundling-stacks: []`: CDK stages a placeholder for each asset;
the rehearsal builds its own assets for this machine) and without cdk-nag (tests/cdk runs those checks). The
account and region are left to the template's pseudo parameters (`AWS::Region`, `AWS::AccountId`), which the
rehearsal resolves to the emulated ones (infra/rehearsal/intrinsics.py).

Two test processes (pytest-xdist workers) may ask at once: a file lock lets one synthesize while the other waits,
and the template is written under a temporary name and renamed into place, so no reader sees half a file.

`functions(template)` lists the template's Lambda functions as the rehearsal starts them: handler, environment
(raw, with its references), role, log level and the asset profile of infra/cdk/functions.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = ROOT / ".cache" / "rehearsal"
DEFAULT_STAGE = "dev"
# What the CDK app reads when it builds the stack: a change in any of these can change the template.
SOURCE_FOLDERS = ("infra", "statemachines", "shared", "functions")
SOURCE_FILES = ("pyproject.toml", "cdk.json")
SKIPPED_PARTS = frozenset({"__pycache__", "node_modules", ".pytest_cache"})
NOT_THE_APP = (Path("infra") / "local", Path("infra") / "rehearsal")  # what the CDK app never imports
# Bump when the way this module synthesizes changes (the context it passes, what it leaves out).
SYNTH_VERSION = "1"


def source_key(stage: str = DEFAULT_STAGE) -> str:
    """A hash of every file the CDK app's template can depend on, and of the stage: the cache key."""
    digest = hashlib.sha256(f"{SYNTH_VERSION}:{stage}".encode())
    paths: list[Path] = [ROOT / name for name in SOURCE_FILES]
    for folder in SOURCE_FOLDERS:
        paths += [
            path
            for path in (ROOT / folder).rglob("*")
            if path.is_file() and path.suffix != ".pyc" and _of_the_app(path.relative_to(ROOT))
        ]
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:24]


def _of_the_app(relative: Path) -> bool:
    if SKIPPED_PARTS & set(relative.parts):
        return False
    return not any(relative.is_relative_to(folder) for folder in NOT_THE_APP)


def synthesized(stage: str = DEFAULT_STAGE) -> dict[str, Any]:
    """The stage's template (a fresh copy: callers may mutate it), synthesized once per change of the sources."""
    return json.loads(_cached(stage)[0].read_text())


def function_specs(stage: str = DEFAULT_STAGE) -> dict[str, dict[str, str]]:
    """infra/cdk/functions.py's FUNCTIONS by handler ({"short_name", "profile"}), as of the cached template: written
    when it was synthesized, so listing the functions needs no import of aws-cdk-lib (seconds)."""
    return json.loads(_cached(stage)[1].read_text())


def _cached(stage: str) -> tuple[Path, Path]:
    template, specs = _paths(stage)
    if not (template.exists() and specs.exists()):
        with _locked(CACHE_DIR / f"caseway-{stage}.lock"):
            if not (template.exists() and specs.exists()):  # another process may have written them meanwhile
                remember(stage, synthesize(stage))
    return template, specs


def _paths(stage: str) -> tuple[Path, Path]:
    stem = f"caseway-{stage}-{source_key(stage)}"
    return CACHE_DIR / f"{stem}.template.json", CACHE_DIR / f"{stem}.functions.json"


def remember(stage: str, template: dict[str, Any]) -> None:
    """Keep a template synthesized elsewhere in this process (tests/cdk synthesizes every stage in one app, with
    cdk.json's context, no bundling and no account or region: the same template) as the stage's cached one."""
    template_path, specs_path = _paths(stage)
    _write_atomically(specs_path, json.dumps(_specs_by_handler(), indent=1, sort_keys=True))
    _write_atomically(template_path, json.dumps(template, indent=1, sort_keys=True))


def _specs_by_handler() -> dict[str, dict[str, str]]:
    from infra.cdk.functions import FUNCTIONS  # loaded with aws-cdk-lib, only to synthesize

    return {spec.handler: {"short_name": spec.short_name, "profile": spec.asset} for spec in FUNCTIONS}


def synthesize(stage: str = DEFAULT_STAGE) -> dict[str, Any]:
    """Build the CDK app for the stage in this process and return its template (no cache; seconds)."""
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import aws_cdk as cdk  # jsii starts a Node process: only when a template is synthesized

    from infra.app import build_stack  # the CDK app, loaded only to synthesize
    from infra.stages import settings_for  # the CDK app, loaded only to synthesize

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    context["aws:cdk:bundling-stacks"] = []  # no pip install: the rehearsal builds its own assets
    settings = dataclasses.replace(settings_for(stage), account=None, region=None)
    with tempfile.TemporaryDirectory(prefix="caseway-synth-") as outdir:
        app = cdk.App(context=context, outdir=outdir)
        stack = build_stack(app, settings)
        return app.synth().get_stack_by_name(stack.stack_name).template


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".partial")
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(temporary, 0o644)  # a cache readable like the rest of the checkout
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- the functions -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateFunction:
    """One `AWS::Lambda::Function` of a template, as the rehearsal starts it."""

    logical_id: str
    function_name: Any  # as the template gives it (a string for the desk's functions)
    handler: str
    environment: dict[str, Any]  # the template's variables, raw: references are resolved through `Physical`
    role: str | None  # the logical id of its role (Fn::GetAtt <role>.Arn)
    log_level: str  # the application log level Lambda gives it (LoggingConfig), e.g. "INFO", "DEBUG", "WARN"
    short_name: str | None  # infra/cdk/functions.py's name ("api", "route-tasks", ...); None: not one of the desk's
    profile: str | None  # the asset profile (infra/cdk/bundling.py PROFILES); None: not one of the desk's

    @property
    def ours(self) -> bool:
        return self.short_name is not None


def functions(
    template: dict[str, Any], *, ours_only: bool = True, stage: str = DEFAULT_STAGE
) -> list[TemplateFunction]:
    """The template's Lambda functions, in template order; `ours_only`: only the desk's own (infra/cdk/functions.py
    FUNCTIONS, matched by handler), not CDK's providers (the buckets' auto-delete, the site's deployment)."""
    by_handler = function_specs(stage)
    found = []
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        properties = resource.get("Properties", {})
        spec = by_handler.get(properties.get("Handler", ""))
        if spec is None and ours_only:
            continue
        role = properties.get("Role")
        role_id = role["Fn::GetAtt"][0] if isinstance(role, dict) and "Fn::GetAtt" in role else None
        found.append(
            TemplateFunction(
                logical_id=logical_id,
                function_name=properties.get("FunctionName"),
                handler=properties.get("Handler", ""),
                environment=dict(properties.get("Environment", {}).get("Variables", {})),
                role=role_id,
                log_level=properties.get("LoggingConfig", {}).get("ApplicationLogLevel", "INFO"),
                short_name=spec["short_name"] if spec else None,
                profile=spec["profile"] if spec else None,
            )
        )
    return found
