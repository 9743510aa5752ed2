"""What a rehearsal needs before any process starts: the synthesized template of a stage (template.py, cached),
each asset built for this machine, the runtime's boto3, and which asset each of the desk's handlers runs from.

`prepare(stage)` is the one place that may load aws_cdk (building an asset does; it starts a Node process): the
preparation is written to a JSON file, so the local stack in rehearsal mode reads it without loading CDK again
(`Prepared.load`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from infra.rehearsal import template

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "rehearsal"


@dataclass(frozen=True)
class Prepared:
    stage: str
    template_file: str
    assets: dict[str, str]  # asset profile -> folder
    runtime: str  # boto3 and botocore as the Lambda runtime has them
    profiles: dict[str, str]  # handler -> asset profile

    def template(self) -> dict[str, Any]:  # a fresh copy: callers may mutate it
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


def prepare(stage: str = "dev") -> Prepared:
    """Template, assets, runtime and profiles for a rehearsal of `stage` (built or taken from the cache)."""
    from infra.rehearsal import assets  # bundling loads aws_cdk: only when preparing

    profiles = {handler: spec["profile"] for handler, spec in template.function_specs(stage).items()}
    template_file = CACHE / f"prepared-{stage}-{os.getpid()}.json"
    CACHE.mkdir(parents=True, exist_ok=True)
    template_file.write_text(json.dumps(template.synthesized(stage)), encoding="utf-8")
    return Prepared(
        stage=stage,
        template_file=str(template_file),
        assets={profile: str(assets.local_asset(profile)) for profile in sorted(set(profiles.values()))},
        runtime=str(assets.lambda_runtime()),
        profiles=profiles,
    )
