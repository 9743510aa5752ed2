"""A Lambda asset built for this machine, and the Lambda runtime's own boto3 beside it.

The cloud's assets hold arm64 wheels for the Lambda's Python (infra/cdk/bundling.py), which do not load here. To run
a function as Lambda runs it, each process gets `local_asset(profile)`: the same profile, the same requirement set
and the same trimming, with pip told this machine's platform (manylinux x86_64 or aarch64) and this interpreter's
version; and `lambda_runtime()`: boto3 and botocore installed apart, as the runtime provides them (the versions of
this virtualenv's, so the desk's code meets the SDK it is tested with). Put both on `sys.path` of an interpreter
started with `-I -S` and nothing of the virtualenv is seen.

Both are cached under .cache/ (pip runs once per dependency set; the asset is copied again when the code changes).
The local asset carries no bytecode, like the cloud's: a process that wants a warm `.pyc` cache gives its
interpreter `-X pycache_prefix=...`, so the asset folder stays as built.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from infra.cdk import bundling

CACHE = bundling.ROOT / ".cache"
ASSETS_DIR = CACHE / "local-assets"
RUNTIME_DIR = CACHE / "lambda-runtime"
KEEP_PER_PROFILE = 3  # older copies of a profile's asset are removed when a new one is built
RUNTIME_PACKAGES = ("boto3", "botocore")


def this_machine() -> bundling.Target:
    """pip's target for wheels that load in this interpreter."""
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    return bundling.Target(
        platform=f"manylinux2014_{arch}", python_version=f"{sys.version_info[0]}.{sys.version_info[1]}"
    )


def _key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:16]


def _publish(staging: Path, final: Path) -> Path:
    """Move a finished build into place; a copy another process finished first wins."""
    try:
        staging.rename(final)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def local_asset(profile: str) -> Path:
    """The folder of a profile's asset (bundling.PROFILES) built for this machine: what Lambda unpacks to /var/task."""
    target = this_machine()
    # asset_hash covers the code, the requirement set and the profile; the target makes the local copy its own.
    name = f"{profile}-{_key(bundling.asset_hash(profile), target.platform, target.python_version)}"
    final = ASSETS_DIR / name
    if final.is_dir():
        return final
    ASSETS_DIR.mkdir(parents=True, exist_ok=True)
    staging = ASSETS_DIR / f"{name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    bundling.bundle(staging, profile, target)
    _publish(staging, final)
    _forget_old(profile, keep=final)
    return final


def _forget_old(profile: str, keep: Path) -> None:
    copies = sorted(
        (p for p in ASSETS_DIR.glob(f"{profile}-*") if p.is_dir() and ".partial-" not in p.name and p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in copies[KEEP_PER_PROFILE - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def runtime_versions() -> dict[str, str]:
    """The SDK versions the runtime copy pins: this virtualenv's."""
    return {name: metadata.version(name) for name in RUNTIME_PACKAGES}


def lambda_runtime() -> Path:
    """boto3 and botocore (and their dependencies) in a folder of their own, compiled as a runtime image has them."""
    target = this_machine()
    pins = [f"{name}=={version}" for name, version in runtime_versions().items()]
    final = RUNTIME_DIR / _key(target.platform, target.python_version, *pins)
    if final.is_dir():
        return final
    RUNTIME_DIR.mkdir(parents=True, exist_ok=True)
    staging = RUNTIME_DIR / f"{final.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--quiet",
        "--disable-pip-version-check",
        "--target",
        str(staging),
        "--platform",
        target.platform,
        "--implementation",
        "cp",
        "--python-version",
        target.python_version,
        "--only-binary=:all:",
        *pins,
    ]
    subprocess.run(command, check=True)  # noqa: S603 - fixed command, our own interpreter
    shutil.rmtree(staging / "bin", ignore_errors=True)
    return _publish(staging, final)
