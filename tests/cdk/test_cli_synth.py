"""`make synth` as a person runs it: the CDK CLI, for every stage, with a region from the AWS profile.

A synth inside pytest (tests/cdk/test_cdk.py) leaves the region a token; the CLI makes it concrete from the
profile (or `us-east-1` when nothing is configured), so what cdk-nag reports, and what an acknowledgement must
name, differs. Each stage is synthesized here exactly as `make synth STAGE=<stage>` does it, into one output folder
(the assets are staged once), and must exit 0.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from infra.stages import STAGES

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / "node_modules" / ".bin" / "cdk"
PROFILE_REGION = "eu-west-1"


@pytest.fixture(scope="module")
def outdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cdk-cli")


@pytest.fixture(scope="module")
def profile_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A user's AWS profile that sets a region and has no credentials (synth needs none)."""
    folder = tmp_path_factory.mktemp("aws-profile")
    (folder / "config").write_text(f"[profile caseway-user]\nregion = {PROFILE_REGION}\n")
    (folder / "credentials").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    env.update(
        AWS_CONFIG_FILE=str(folder / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(folder / "credentials"),
        AWS_PROFILE="caseway-user",
        AWS_EC2_METADATA_DISABLED="true",  # no instance metadata to ask for credentials: fail fast, offline
        CDK_DISABLE_CLI_TELEMETRY="true",
        JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1",
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    return env


@pytest.mark.skipif(not CDK.exists(), reason="the CDK CLI is installed by `make test` (npm ci)")
@pytest.mark.parametrize("stage", sorted(STAGES))
def test_cdk_cli_synthesizes_every_stage(stage: str, outdir: Path, profile_env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(CDK), "synth", "-c", f"stage={stage}", "--quiet", "--output", str(outdir)],
        cwd=ROOT,
        env=profile_env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"cdk synth -c stage={stage} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    template = outdir / f"caseway-{stage}.template.json"
    assert template.exists()
    # The CLI made the region concrete from the profile: the test exercises what a user's synth does.
    assert PROFILE_REGION in template.read_text()
