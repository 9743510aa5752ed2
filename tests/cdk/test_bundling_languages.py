"""The Lambda assets keep babel's data only for the languages the desk writes in (infra/cdk/bundling.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import babel

from infra.cdk import bundling


def test_the_asset_keeps_the_desk_languages_and_root_and_they_still_format(tmp_path: Path) -> None:
    copy = tmp_path / "babel"
    shutil.copytree(Path(babel.__file__).parent, copy)
    bundling._keep_desk_languages(copy / "locale-data")
    kept = {p.stem for p in (copy / "locale-data").glob("*.dat")}
    assert bundling.desk_languages() >= {"en", "cs"}
    assert {"root", "en", "cs", "cs_CZ", "en_GB"} <= kept
    assert not {"de", "fr_FR", "ja"} & kept
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import babel; from datetime import datetime, timezone;"
        "from babel.dates import format_datetime; assert babel.__file__.startswith(sys.argv[1]);"
        "print(format_datetime(datetime(2026, 12, 2, 8, tzinfo=timezone.utc), 'EEEE d. MMMM', "
        "tzinfo='Europe/Prague', locale='cs'))"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "středa 2. prosince"
