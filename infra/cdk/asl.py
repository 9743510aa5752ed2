"""The routes' definitions (Step Functions state machines) as the CDK app deploys them and the local
emulation provisions them: one ASL file per route in statemachines/, with ${Placeholders} filled in.
Never written inline in Python. No CDK imports here, so the local stack loads it without the CDK."""

from __future__ import annotations

import re
from pathlib import Path

STATEMACHINES_DIR = Path(__file__).resolve().parents[2] / "statemachines"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")

# Lambda functions the routes call, by placeholder: the placeholder names the function's ARN.
ROUTE_FUNCTIONS: dict[str, str] = {"RouteTasksFunctionArn": "route-tasks"}


def route_names() -> list[str]:
    return sorted(p.name.removesuffix(".asl.json") for p in STATEMACHINES_DIR.glob("*.asl.json"))


def placeholders(name: str) -> set[str]:
    return set(_PLACEHOLDER.findall((STATEMACHINES_DIR / f"{name}.asl.json").read_text()))


def definition(name: str, substitutions: dict[str, str]) -> str:
    """The route's ASL with every placeholder substituted; a missing substitution is an error."""
    text = (STATEMACHINES_DIR / f"{name}.asl.json").read_text()
    missing = placeholders(name) - substitutions.keys()
    if missing:
        raise KeyError(f"route {name} needs values for {sorted(missing)}")
    return _PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)
