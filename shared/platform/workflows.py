"""The routes (Step Functions) and the route worker: start, resume, call."""

from __future__ import annotations

import json
import logging
from typing import Any

from shared.platform import aws, config

logger = logging.getLogger(__name__)


def route_arn(route: str) -> str:
    return config.get(config.ROUTE_ARN_PREFIX) + route


def execution_name(ticket_id: str) -> str:
    """Derived from the ticket id, so a retried submit can never start a second route."""
    return f"ticket-{ticket_id}"


def start_route(route: str, ticket_id: str, payload: dict[str, Any]) -> str:
    """StartExecution of the service's route; an execution of that name already running is success."""
    sfn = aws.client("stepfunctions")
    try:
        response = sfn.start_execution(
            stateMachineArn=route_arn(route),
            name=execution_name(ticket_id),
            input=json.dumps(payload, default=str),
        )
        return response["executionArn"]
    except sfn.exceptions.ExecutionAlreadyExists:
        arn = route_arn(route).replace(":stateMachine:", ":execution:") + ":" + execution_name(ticket_id)
        return arn


def invoke_async(function_name: str, payload: dict[str, Any]) -> None:
    """Hand work to another function (asynchronous invoke: Lambda retries it twice, then its dead-letter queue).
    Raises when the invocation is not accepted: the caller decides whether to retry or give up."""
    aws.client("lambda").invoke(
        FunctionName=function_name, InvocationType="Event", Payload=json.dumps(payload, default=str).encode()
    )


def task_success(task_token: str, output: dict[str, Any]) -> None:
    aws.client("stepfunctions").send_task_success(taskToken=task_token, output=json.dumps(output, default=str))


def task_failure(task_token: str, error: str, cause: str) -> None:
    """Fail a route's waiting step with a named error its Catch handles (e.g. a re-timed SLA)."""
    aws.client("stepfunctions").send_task_failure(taskToken=task_token, error=error, cause=cause[:32000])


def task_success_once(task_token: str, output: dict[str, Any]) -> bool:
    """SendTaskSuccess; False when the route no longer waits on this token (told already, timed out, ended).
    Any other failure (throttled, unreachable after the client's retries) is raised."""
    sfn = aws.client("stepfunctions")
    try:
        sfn.send_task_success(taskToken=task_token, output=json.dumps(output, default=str))
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist):
        return False
    return True


def call_worker(action: str, ticket_id: str, **payload: Any) -> None:
    """Ask the route worker to do something later (asynchronous invoke): the API answers at once and the
    worker, which has the SLA calendars, does the rest. A failure is logged; the route's own timers and the
    daily review catch up."""
    try:
        aws.client("lambda").invoke(
            FunctionName=config.get(config.WORKER_FUNCTION),
            InvocationType="Event",
            Payload=json.dumps({"action": action, "ticket_id": ticket_id, **payload}).encode(),
        )
    except Exception:
        logger.exception("could not hand %s of ticket %s to the worker", action, ticket_id)
