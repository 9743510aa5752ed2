"""How the stage is doing: a dashboard of the API, the functions, the routes and the desk's own
figures, and alarms that notify the ops topic."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.cdk.api import Api
from infra.stages import StageSettings
from shared.platform.metrics import SLA_BREACHES, TICKETS_CREATED  # the names the code emits

# The desk's own figures, emitted with powertools Metrics into the stage's namespace
# (POWERTOOLS_METRICS_NAMESPACE); the dashboard sums them over every dimension.

FIVE_MINUTES = cdk.Duration.minutes(5)
API_5XX_RATE_PERCENT = 5


def metrics_namespace(settings: StageSettings) -> str:
    return f"Caseway/{settings.name}"


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        api: Api,
        functions: dict[str, lambda_.Function],
        machines: dict[str, sfn.StateMachine],
        dead_letter_queues: dict[str, sqs.Queue],
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        self.notify = actions.SnsAction(topic)
        self.alarms: list[cloudwatch.Alarm] = []
        http_api = api.http_api
        requests = http_api.metric_count(period=FIVE_MINUTES, statistic="Sum")
        server_errors = http_api.metric_server_error(period=FIVE_MINUTES, statistic="Sum")
        error_rate = cloudwatch.MathExpression(
            expression="IF(requests > 0, 100 * errors / requests, 0)",
            using_metrics={"requests": requests, "errors": server_errors},
            label="5xx rate (%)",
            period=FIVE_MINUTES,
        )
        self._add_alarms(error_rate, functions, machines, dead_letter_queues)
        self.dashboard: cloudwatch.Dashboard | None = None
        if settings.dashboard:
            self.dashboard = self._add_dashboard(http_api, requests, server_errors, error_rate, functions, machines)

    def _alarm(self, construct_id: str, **props: object) -> cloudwatch.Alarm:
        """An alarm named <prefix>-<construct_id> that notifies the ops topic when it fires and when it clears."""
        created = cloudwatch.Alarm(
            self,
            construct_id,
            alarm_name=f"{self.settings.prefix}-{construct_id}",
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            **props,  # type: ignore[arg-type]
        )
        created.add_alarm_action(self.notify)
        created.add_ok_action(self.notify)
        self.alarms.append(created)
        return created

    def _add_alarms(
        self,
        error_rate: cloudwatch.IMetric,
        functions: dict[str, lambda_.Function],
        machines: dict[str, sfn.StateMachine],
        dead_letter_queues: dict[str, sqs.Queue],
    ) -> None:
        """The API's 5xx rate, each function's errors, each route's failures, each dead-letter queue's depth."""
        self._alarm(
            "api-5xx-rate",
            alarm_description=f"More than {API_5XX_RATE_PERCENT}% of API requests failed with 5xx",
            metric=error_rate,
            threshold=API_5XX_RATE_PERCENT,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        )
        for name, function in functions.items():
            self._alarm(
                f"{name}-errors",
                alarm_description=f"The {name} function raised errors",
                metric=function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            )
        for route, machine in machines.items():
            self._alarm(
                f"route-{route}-failed",
                alarm_description=f"Executions of the {route} route failed or timed out",
                metric=cloudwatch.MathExpression(
                    expression="failed + timedout",
                    using_metrics={
                        "failed": machine.metric_failed(period=FIVE_MINUTES, statistic="Sum"),
                        "timedout": machine.metric_timed_out(period=FIVE_MINUTES, statistic="Sum"),
                    },
                    label="failed or timed out",
                    period=FIVE_MINUTES,
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            )
        for name, queue in dead_letter_queues.items():
            self._alarm(
                f"{name}-depth",
                alarm_description="Invocations that failed for good are waiting in the dead-letter queue",
                metric=queue.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES, statistic="Maximum"),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            )

    def _add_dashboard(
        self,
        http_api: apigw.HttpApi,
        requests: cloudwatch.IMetric,
        server_errors: cloudwatch.IMetric,
        error_rate: cloudwatch.IMetric,
        functions: dict[str, lambda_.Function],
        machines: dict[str, sfn.StateMachine],
    ) -> cloudwatch.Dashboard:
        """Four rows: the API, the functions, the routes and the desk's figures, the alarms."""
        namespace = metrics_namespace(self.settings)

        def desk_figure(metric_name: str, label: str) -> cloudwatch.MathExpression:
            return cloudwatch.MathExpression(
                expression=f"SUM(SEARCH('Namespace=\"{namespace}\" MetricName=\"{metric_name}\"', 'Sum', 300))",
                label=label,
                period=FIVE_MINUTES,
            )

        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=self.settings.prefix)
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="API requests", left=[requests], width=8),
            cloudwatch.GraphWidget(
                title="API latency",
                left=[
                    http_api.metric_latency(period=FIVE_MINUTES, statistic="p50"),
                    http_api.metric_latency(period=FIVE_MINUTES, statistic="p99"),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(title="API 5xx", left=[server_errors], right=[error_rate], width=8),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Lambda errors",
                left=[f.metric_errors(period=FIVE_MINUTES, statistic="Sum", label=n) for n, f in functions.items()],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Lambda throttles",
                left=[f.metric_throttles(period=FIVE_MINUTES, statistic="Sum", label=n) for n, f in functions.items()],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Lambda duration p99",
                left=[f.metric_duration(period=FIVE_MINUTES, statistic="p99", label=n) for n, f in functions.items()],
                width=8,
            ),
        )
        route_metrics: list[cloudwatch.IMetric] = []
        for route, machine in machines.items():
            route_metrics += [
                machine.metric_started(period=FIVE_MINUTES, statistic="Sum", label=f"{route} started"),
                machine.metric_failed(period=FIVE_MINUTES, statistic="Sum", label=f"{route} failed"),
                machine.metric_timed_out(period=FIVE_MINUTES, statistic="Sum", label=f"{route} timed out"),
            ]
        dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Route executions", left=route_metrics, width=8),
            cloudwatch.GraphWidget(
                title="Tickets created", left=[desk_figure(TICKETS_CREATED, "tickets created")], width=8
            ),
            cloudwatch.GraphWidget(title="SLA breaches", left=[desk_figure(SLA_BREACHES, "SLA breaches")], width=8),
        )
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24),
        )
        return dashboard
