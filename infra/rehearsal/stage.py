"""What a rehearsal needs before any process starts: the synthesized template of a stage, each asset built for this
machine, the runtime's boto3, and which asset each of the desk's handlers runs from.

`prepare(stage)` is the one place that loads the CDK app (aws_cdk starts a Node process, about a second of CPU):
the template is synthesized once per source state and kept under .cache/rehearsal/ (a synth costs 8-10 s), and
the whole preparation is written to a JSON file, so the local stack in rehearsal mode and the tests read it
without loading CDK again (`Prepared.load`).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "rehearsal"
# What the synthesized template depends on: the CDK app and everything it reads (routes, schedules, settings).
TEMPLATE_SOURCES = ("infra", "shared", "functions", "statemachines")
TEMPLATE_FILES = ("cdk.json", "pyproject.toml")


@dataclass(frozen=True)
class Prepared:
    stage: str
    template_file: str
    assets: dict[str, str]  # asset profile -> folder
    runtime: str  # boto3 and botocore as the Lambda runtime has them
    profiles: dict[str, str]  # handler -> asset profile

    def template(self) -> dict[str, Any]:
        return json.loads(Path(self.template_file).read_text(encoding="utf-8"))

    def asset_paths(self) -> dict[str, Path]:
        return {profile: Path(folder) for profile, folder in self.assets.items()}

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> Prepared:
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def sources_key() -> str:
    digest = hashlib.sha256()
    for folder in TEMPLATE_SOURCES:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name in TEMPLATE_FILES:
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def synthesized(stage: str = "dev") -> Path:
    """The stage's template as `make synth` writes it (assets not bundled: the rehearsal builds its own), cached."""
    path = CACHE / f"template-{stage}-{sources_key()}.json"
    if path.is_file():
        return path
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import aws_cdk as cdk  # noqa: PLC0415 - CDK starts Node: only when a template must be synthesized

    from infra.app import build_stack  # noqa: PLC0415 - loads the CDK app, only to synthesize
    from infra.stages import settings_for  # noqa: PLC0415 - as above

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    context["aws:cdk:bundling-stacks"] = []
    app = cdk.App(context=context)
    stack = build_stack(app, settings_for(stage))
    template = app.synth().get_stack_by_name(stack.stack_name).template
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(f".partial-{os.getpid()}")
    staging.write_text(json.dumps(template, indent=1), encoding="utf-8")
    staging.replace(path)
    for old in CACHE.glob(f"template-{stage}-*.json"):
        if old != path:
            old.unlink(missing_ok=True)
    return path


def prepare(stage: str = "dev") -> Prepared:
    """Template, assets, runtime and profiles for a rehearsal of `stage` (built or taken from the cache)."""
    from infra.cdk.functions import FUNCTIONS  # noqa: PLC0415 - loads aws_cdk: only when preparing
    from infra.rehearsal import assets  # noqa: PLC0415 - as above (bundling loads aws_cdk)

    profiles = {spec.handler: spec.asset for spec in FUNCTIONS}
    return Prepared(
        stage=stage,
        template_file=str(synthesized(stage)),
        assets={profile: str(assets.local_asset(profile)) for profile in sorted(set(profiles.values()))},
        runtime=str(assets.lambda_runtime()),
        profiles=profiles,
    )
