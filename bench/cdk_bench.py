"""CDK figures for `make bench` (bench/run.py calls `measure()`):

- asset_mb: the API Lambda's bundled asset from a real synth of the dev stage, unzipped (sum of file
  sizes) and zipped (deflate level 9, as the CDK CLI zips assets). Target <= 10 MB unzipped.
- synth_s: wall time of one stage's synth (`python -m infra.app` in a fresh interpreter, bundling
  included, pip's cache warm) - reported, not a target.

Run alone: `.venv/bin/python bench/cdk_bench.py` prints the figures as JSON.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STAGE = "dev"
ASSET_TARGET_MB = 10.0
MB = 1_000_000

ENVIRONMENT = {
    "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    "CDK_DISABLE_CLI_TELEMETRY": "true",
}


def _context() -> dict[str, Any]:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    context["stage"] = STAGE
    return context


def _synth(outdir: Path) -> float:
    """Synthesize the stage into outdir as `cdk synth` runs the app; the wall time in seconds."""
    env = {**os.environ, **ENVIRONMENT, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(_context())}
    env.pop("CDK_DEFAULT_ACCOUNT", None)
    env.pop("CDK_DEFAULT_REGION", None)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "infra.app"], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def _api_asset(outdir: Path) -> Path:
    template = json.loads((outdir / f"caseway-{STAGE}.template.json").read_text())
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function" and props.get("FunctionName") == f"caseway-{STAGE}-api":
            asset_hash = props["Code"]["S3Key"].removesuffix(".zip")
            return outdir / f"asset.{asset_hash}"
    raise RuntimeError("no API function in the template")


def _sizes(folder: Path) -> tuple[int, int, int]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    unzipped = sum(p.stat().st_size for p in files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            archive.write(path, path.relative_to(folder).as_posix())
    return unzipped, len(buffer.getvalue()), len(files)


def _largest(folder: Path, count: int = 6) -> dict[str, float]:
    sizes: dict[str, int] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            top = path.relative_to(folder).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    ranked = sorted(sizes.items(), key=lambda item: item[1], reverse=True)[:count]
    return {name: round(size / MB, 2) for name, size in ranked}


def measure() -> dict[str, Any]:
    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from infra.cdk import bundling

    bundling.install_dependencies()  # pip runs once per dependency set; synth_s measures the synth
    with tempfile.TemporaryDirectory(prefix="caseway-cdk-bench-") as folder:
        outdir = Path(folder)
        synth_s = _synth(outdir)
        asset = _api_asset(outdir)
        unzipped, zipped, files = _sizes(asset)
        largest = _largest(asset)
    unzipped_mb = round(unzipped / MB, 2)
    return {
        "asset_mb": {
            "function": f"caseway-{STAGE}-api",
            "unzipped": unzipped_mb,
            "zipped": round(zipped / MB, 2),
            "files": files,
            "target_unzipped": ASSET_TARGET_MB,
            "meets_target": unzipped_mb <= ASSET_TARGET_MB,
            "largest_mb": largest,
            "runtime": f"python{bundling.PYTHON_VERSION} {bundling.PLATFORM}",
        },
        "synth_s": {"stage": STAGE, "seconds": round(synth_s, 2)},
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=2))
