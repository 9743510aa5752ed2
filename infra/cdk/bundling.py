"""The Lambda assets, bundled without Docker.

An asset is `shared/` and `functions/` plus the runtime dependencies of
pyproject.toml, installed by pip for the Lambda's platform (`--platform manylinux2014_aarch64
--only-binary=:all: --python-version 3.x`), so a wheel built for this machine never slips in. What the
Lambda Python runtime already provides (boto3, botocore and the packages botocore depends on) is left
out: bundling them again would triple the asset. pip's result is cached per dependency set under
.cache/lambda-deps/, so synthesizing several stages or re-synthesizing installs once.

Two profiles keep each function's asset to what it runs (PROFILES): the API never computes calendars
(routes and schedules compute SLA instants and store them on the ticket; the API shows them), so its
asset leaves out `holidays`, and its /docs page loads the Swagger UI scripts from a CDN instead of
shipping them; the workers' asset drops the holiday names' translations (only dates are used).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
import jsii
from aws_cdk import aws_lambda as lambda_

ROOT = Path(__file__).resolve().parents[2]
SOURCE_PACKAGES = ("shared", "functions")
CACHE_DIR = ROOT / ".cache" / "lambda-deps"

# The newest Python runtime this aws-cdk-lib knows (cdk-nag L1 wants the latest); pip must target it.
RUNTIME = lambda_.Runtime.PYTHON_3_14
PYTHON_VERSION = "3.14"
ARCHITECTURE = lambda_.Architecture.ARM_64
PLATFORM = "manylinux2014_aarch64"

# In every Lambda Python runtime: boto3 and its whole dependency closure. Packages are removed by
# their RECORD, so exactly the files pip installed for them go.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"})

# Bump when the bundling itself changes, so a cached or staged asset is rebuilt.
BUNDLER_VERSION = "3"


@dataclass(frozen=True)
class Profile:
    leave_out: frozenset[str] = frozenset()  # distributions not copied (canonical names)
    drop: tuple[str, ...] = ()  # paths (files or folders) removed from the asset


PROFILES: dict[str, Profile] = {
    "api": Profile(
        leave_out=frozenset({"holidays"}),
        drop=(
            "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui-bundle.min.js",
            "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui.min.css",
            "pydantic/v1",  # pydantic 1 compatibility: neither this code nor powertools imports it
            "pydantic/mypy.py",  # the mypy plugin, a type-checking tool
        ),
    ),
    "workers": Profile(drop=("holidays/locale",)),
}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise ValueError(f"cannot read a package name in {requirement!r}")
    return canonical(match.group(1))


def runtime_dependencies() -> list[str]:
    """pyproject's [project].dependencies without what the Lambda runtime provides."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [r for r in project["dependencies"] if requirement_name(r) not in RUNTIME_PROVIDED]


def source_files() -> list[Path]:
    files: list[Path] = []
    for package in SOURCE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                files.append(path)
    return files


@dataclass(frozen=True)
class Target:
    """Where an asset's wheels must load: pip's platform tag and the Python version."""

    platform: str = PLATFORM
    python_version: str = PYTHON_VERSION


LAMBDA = Target()  # the deployed functions'


def dependencies_key(target: Target = LAMBDA) -> str:
    digest = hashlib.sha256()
    for part in (BUNDLER_VERSION, target.platform, target.python_version, *runtime_dependencies()):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:24]


def asset_hash(profile: str) -> str:
    """Changes when the code, the dependency set, the target runtime, the profile or the bundling change."""
    digest = hashlib.sha256((dependencies_key() + profile).encode())
    for path in source_files():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _remove_runtime_provided(target: Path) -> None:
    for dist_info in target.glob("*.dist-info"):
        metadata = (dist_info / "METADATA").read_text(encoding="utf-8", errors="replace")
        name = re.search(r"^Name:\s*(\S+)", metadata, re.MULTILINE)
        if not name or canonical(name.group(1)) not in RUNTIME_PROVIDED:
            continue
        for line in (dist_info / "RECORD").read_text().splitlines():
            relative = line.split(",", 1)[0]
            path = (target / relative).resolve()
            if path.is_relative_to(target.resolve()) and path.is_file():
                path.unlink()
        shutil.rmtree(dist_info, ignore_errors=True)
    # Folders the removed files leave behind (packages, their __pycache__).
    for directory in sorted((p for p in target.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(directory.iterdir()):
            directory.rmdir()
    shutil.rmtree(target / "bin", ignore_errors=True)


def install_dependencies(target: Target = LAMBDA) -> Path:
    """The runtime dependencies installed for the target (the Lambda's platform unless told), from the cache when
    present."""
    cached = CACHE_DIR / dependencies_key(target)
    if cached.is_dir():
        return cached
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    staging = CACHE_DIR / f"{cached.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--quiet",  # errors only
        "--disable-pip-version-check",
        "--no-compile",  # .pyc for this machine's Python would be dead weight on the Lambda's
        "--target",
        str(staging),
        "--platform",
        target.platform,
        "--implementation",
        "cp",
        "--python-version",
        target.python_version,
        "--only-binary=:all:",
        *runtime_dependencies(),
    ]
    subprocess.run(command, check=True)  # noqa: S603 - fixed command, our own interpreter
    _remove_runtime_provided(staging)
    try:
        staging.rename(cached)
    except OSError:  # another process installed the same set meanwhile
        shutil.rmtree(staging, ignore_errors=True)
    return cached


def _top_level_names(deps: Path, distribution: str) -> set[str]:
    """The top-level files and folders a distribution installed, from its RECORD."""
    names: set[str] = set()
    for dist_info in deps.glob("*.dist-info"):
        metadata = (dist_info / "METADATA").read_text(encoding="utf-8", errors="replace")
        name = re.search(r"^Name:\s*(\S+)", metadata, re.MULTILINE)
        if name and canonical(name.group(1)) == distribution:
            names.add(dist_info.name)
            for line in (dist_info / "RECORD").read_text().splitlines():
                names.add(line.split(",", 1)[0].split("/", 1)[0])
    return names


def bundle(output_dir: Path, profile: str, target: Target = LAMBDA) -> None:
    spec = PROFILES[profile]
    deps = install_dependencies(target)
    skipped = set().union(*(_top_level_names(deps, d) for d in spec.leave_out)) if spec.leave_out else set()
    shutil.copytree(
        deps, output_dir, dirs_exist_ok=True, ignore=lambda folder, names: skipped if Path(folder) == deps else set()
    )
    for relative in spec.drop:
        target = output_dir / relative
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    _keep_desk_languages(output_dir / "babel" / "locale-data")
    for path in source_files():
        destination = output_dir / path.relative_to(ROOT)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, destination)


def desk_languages() -> set[str]:
    """The languages the desk writes in: one message file each (shared/platform/words/<language>.json)."""
    return {path.stem for path in (ROOT / "shared" / "platform" / "words").glob("*.json")}


def _keep_desk_languages(locale_data: Path) -> None:
    """babel ships the data of every locale (about 32 MB); the desk formats dates and plurals only in the languages
    it has messages in, so the asset keeps those (each with its regional variants) and `root`, which they inherit
    from. Dropping in a new message file brings its language's data with the next deploy."""
    if not locale_data.is_dir():
        return
    languages = desk_languages()
    for data in locale_data.glob("*.dat"):
        if data.stem != "root" and data.stem.split("_", 1)[0] not in languages:
            data.unlink()


@jsii.implements(cdk.ILocalBundling)
class LocalBundling:
    """Bundles on this machine; CDK never starts the Docker image named in BundlingOptions."""

    def __init__(self, profile: str) -> None:
        self.profile = profile

    def try_bundle(self, output_dir: str, *, image: cdk.DockerImage, **_: object) -> bool:
        bundle(Path(output_dir), self.profile)
        return True


def code(profile: str) -> lambda_.Code:
    """The asset of a profile. Skipped (a placeholder) in stacks CDK is told not to bundle."""
    return lambda_.Code.from_asset(
        str(ROOT),
        asset_hash_type=cdk.AssetHashType.CUSTOM,
        asset_hash=asset_hash(profile),
        bundling=cdk.BundlingOptions(image=RUNTIME.bundling_image, local=LocalBundling(profile)),
    )
