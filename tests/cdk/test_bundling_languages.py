"""The Lambda assets keep babel's data only for the languages the desk writes in, and the API's asset stays within
its size budget (infra/cdk/bundling.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import babel
import pytest

from infra.cdk import bundling

API_ASSET_BUDGET_BYTES = 10_000_000  # 10 MB unzipped (docs/performance.md, "Cold start")


def test_the_asset_keeps_the_desk_languages_and_what_they_inherit_and_they_still_format(tmp_path: Path) -> None:
    copy = tmp_path / "babel"
    shutil.copytree(Path(babel.__file__).parent, copy)
    bundling._keep_desk_languages(copy / "locale-data")
    kept = {p.stem for p in (copy / "locale-data").glob("*.dat")}
    assert bundling.desk_languages() >= {"en", "cs"}
    # The desk asks babel for a message file's language only (words.normalise): no regional variant is ever loaded.
    assert kept == bundling.locales_needed(bundling.desk_languages()) >= {"root", "en", "cs"}
    assert not {"de", "fr_FR", "ja", "en_GB", "cs_CZ"} & kept
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import babel; from datetime import datetime, timezone;"
        "from babel.dates import format_datetime; assert babel.__file__.startswith(sys.argv[1]);"
        "at = datetime(2026, 12, 2, 8, tzinfo=timezone.utc);"
        "print(format_datetime(at, 'EEEE d. MMMM', tzinfo='Europe/Prague', locale='cs'));"
        "print(format_datetime(at, 'EEEE d MMMM', tzinfo='Europe/London', locale='en'))"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["středa 2. prosince", "Wednesday 2 December"]


def test_a_regional_message_file_brings_its_locale_and_every_parent_babel_merges() -> None:
    # en_GB inherits from en_001 (a CLDR parent exception), then en, then root.
    assert bundling.locales_needed({"en-GB"}) == {"en_GB", "en_001", "en", "root"}
    assert bundling.locales_needed({"pt-PT", "cs"}) == {"pt_PT", "pt", "cs", "root"}


def test_a_wheels_metadata_keeps_its_headers_only(tmp_path: Path) -> None:
    metadata = tmp_path / "METADATA"
    metadata.write_text("Metadata-Version: 2.4\nName: pydantic\nVersion: 2.14.3\n\n# Changelog\n\nlong text\n")
    bundling._headers_only(metadata)
    assert metadata.read_text() == "Metadata-Version: 2.4\nName: pydantic\nVersion: 2.14.3\n"


def test_the_api_asset_is_within_its_size_budget(tmp_path: Path) -> None:
    """The real bundle of the API's profile, from pip's result cached by a synth (bundling.install_dependencies);
    without that cache (a fresh clone before any synth) `make bench` reports the size instead (bench/cdk_bench.py)."""
    if not (bundling.CACHE_DIR / bundling.dependencies_key()).is_dir():
        pytest.skip(
            "no cached Lambda dependencies: `make synth` or `make bench` installs them; the bench reports the size"
        )
    bundling.bundle(tmp_path, "api")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    assert size <= API_ASSET_BUDGET_BYTES, f"the API asset is {size / 1e6:.2f} MB unzipped, over 10 MB"
    assert (tmp_path / "functions" / "api" / "app.py").is_file() and (tmp_path / "pydantic_core").is_dir()
    assert not (tmp_path / "holidays").exists() and not (tmp_path / "shared" / "sla").exists()
    assert not list(tmp_path.glob("*.dist-info/RECORD")) and list(tmp_path.glob("pydantic-*.dist-info/licenses/*"))
