"""The desk's own CloudWatch figures (CloudWatch embedded metric format through powertools).

The stage's dashboard reads these names (infra/cdk/monitoring.py). Outside Lambda, where no metrics
namespace is configured, nothing is emitted.
"""

from __future__ import annotations

import os

TICKETS_CREATED = "TicketsCreated"
SLA_BREACHES = "SlaBreaches"  # emitted by the SLA-driven routes


def count(name: str, value: int = 1) -> None:
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE")
    if not namespace:
        return
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=namespace) as metric:
        metric.add_dimension(name="service", value=os.environ.get("POWERTOOLS_SERVICE_NAME", "caseway"))
