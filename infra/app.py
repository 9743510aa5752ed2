"""The CDK app: `cdk synth -c stage=dev|staging|prod` (see cdk.json, `make synth STAGE=...`).

One stack per stage, named caseway-<stage>; its settings are infra/stages.py's, with `caseway:<field>`
context values applied. cdk-nag's AwsSolutions pack validates the synthesized app: a finding that is
not acknowledged (infra/cdk/nag.py and next to the constructs) fails the synth.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.cdk.stack import CasewayStack
from infra.stages import DEFAULT_STAGE, OVERRIDE_PREFIX, StageSettings, settings_for

PROJECT_TAG = "caseway"


def build_stack(app: cdk.App, settings: StageSettings) -> CasewayStack:
    env = cdk.Environment(account=settings.account, region=settings.region)
    tags = {"project": PROJECT_TAG, "caseway:stage": settings.name}
    stack = CasewayStack(
        app,
        settings.stack_name,
        settings=settings,
        stack_name=settings.stack_name,
        description=f"Caseway helpdesk, {settings.name} stage",
        env=env if settings.account or settings.region else None,
        termination_protection=settings.deletion_protection,
        tags=tags,
    )
    for key, value in tags.items():
        cdk.Tags.of(stack).add(key, value)
    return stack


def build_app(
    context: Mapping[str, Any] | None = None, outdir: str | None = None, *, nag: bool = True
) -> tuple[cdk.App, CasewayStack]:
    """The app with the stage the context names (default dev). The CLI passes -c values through the
    environment; tests pass `context` (cdk.json's and their own). With `nag`, cdk-nag's findings fail
    the synth (tests run the same checks through `AwsSolutionsChecks().validate_scope`)."""
    app = cdk.App(context=dict(context or {}), outdir=outdir)
    stage = app.node.try_get_context("stage") or DEFAULT_STAGE
    overrides = {k: v for k, v in app.node.get_all_context().items() if k.startswith(OVERRIDE_PREFIX)}
    stack = build_stack(app, settings_for(stage, overrides))
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
