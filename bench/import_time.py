"""Import time of the API Lambda's module against `import boto3`, each in a fresh interpreter.

Each child times only the import (time.perf_counter around it), so interpreter startup is left out.
The two imports run alternately (side by side) so that machine noise hits both alike; best of N each.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# The module the API Lambda loads: infra/cdk/functions.py deploys functions.api.app.handler.
API_MODULE = "functions.api.app"

CHILD = "import time\nt = time.perf_counter()\n{statement}\nprint(repr(time.perf_counter() - t))\n"


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    from infra.local import fake_aws

    return fake_aws.apply(env, POWERTOOLS_LOG_LEVEL="WARNING")


def time_import(module: str, root: Path, env: dict[str, str]) -> float:
    """Seconds the import of `module` took in a fresh interpreter (cwd = repo root)."""
    return time_statement(f"import {module}", root, env)


def time_statement(statement: str, root: Path, env: dict[str, str]) -> float:
    """Seconds one line of Python took in a fresh interpreter (cwd = repo root)."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD.format(statement=statement)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`{statement}` failed in a fresh interpreter:\n{done.stderr.strip()}")
    return float(done.stdout.strip().splitlines()[-1])


def measure(root: Path, module: str = API_MODULE, baseline: str = "boto3", rounds: int = 5) -> dict[str, Any]:
    env = _child_env()
    # One untimed import each first, so that bytecode compilation (.pyc writes) is not measured.
    time_import(module, root, env)
    time_import(baseline, root, env)
    module_runs: list[float] = []
    baseline_runs: list[float] = []
    for _ in range(rounds):
        module_runs.append(time_import(module, root, env))
        baseline_runs.append(time_import(baseline, root, env))
    best_module, best_baseline = min(module_runs), min(baseline_runs)
    return {
        "module": module,
        "baseline": baseline,
        "rounds": rounds,
        "module_ms": round(best_module * 1000, 2),
        "baseline_ms": round(best_baseline * 1000, 2),
        "module_runs_ms": [round(x * 1000, 2) for x in module_runs],
        "baseline_runs_ms": [round(x * 1000, 2) for x in baseline_runs],
        "ratio": round(best_module / best_baseline, 3),
    }


# The API includes every router and assembles the desk at import (Lambda's init phase), so a first request of any
# context imports nothing more; bench/coldstart.py times init and each context's first request from the function's own
# asset. Kept here: the import with every router in this virtualenv, against `import boto3`.
EAGER_STATEMENT = "import functions.api.app as a; a.load_routers()"


def measure_contexts(root: Path, rounds: int = 3) -> dict[str, Any]:
    """The API's import with every router (what init loads) against `import boto3`; best of N."""
    env = _child_env()
    statements = {"every router (at import)": EAGER_STATEMENT}
    best = dict.fromkeys(statements, float("inf"))
    baseline = float("inf")
    for statement in statements.values():
        time_statement(statement, root, env)  # untimed: .pyc writes
    for _ in range(rounds):
        baseline = min(baseline, time_import("boto3", root, env))
        for name, statement in statements.items():
            best[name] = min(best[name], time_statement(statement, root, env))
    return {
        "baseline_ms": round(baseline * 1000, 2),
        "rounds": rounds,
        "by_context": {
            name: {"ms": round(value * 1000, 2), "ratio": round(value / baseline, 3)} for name, value in best.items()
        },
    }


def breakdown(root: Path, module: str = API_MODULE, top: int = 12) -> list[dict[str, Any]]:
    """Where the import time goes: `-X importtime` self time summed per top-level package (one run)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=root,
        env=_child_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    per_package: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = [part.strip() for part in line.removeprefix("import time:").split("|")]
        if len(fields) != 3 or not fields[0].isdigit():
            continue  # the header line
        self_us, name = fields[0], fields[2]
        package = name.split(".")[0]
        per_package[package] = per_package.get(package, 0) + int(self_us)
    ranked = sorted(per_package.items(), key=lambda kv: kv[1], reverse=True)[:top]
    return [{"package": name, "self_ms": round(us / 1000, 1)} for name, us in ranked]
