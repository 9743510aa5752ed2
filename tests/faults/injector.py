"""Making one AWS call of the desk fail, at the botocore client level.

Every botocore client's `_make_api_call` (boto clients of shared.platform.aws and pynamodb's own) is wrapped:
the wrapper numbers the project's calls (one per API call, however often botocore retries it) and, the first
time it sees a client, registers a `before-send` hook first on that client's events, ahead of moto's own.
For the call chosen to fail, the hook answers each attempt with the fault instead of sending it, so botocore's
retries (standard mode) and the project's own retries see exactly what AWS would have answered:

- throttling: HTTP 400 ProvisionedThroughputExceededException (DynamoDB) or ThrottlingException / Throttling /
  TooManyRequestsException (the other services), on every attempt;
- transaction: HTTP 400 TransactionCanceledException with a TransactionConflict reason on every item, for a
  TransactWriteItems, once (DynamoDB's answer when another transaction holds an item for a moment);
- timeout: botocore's ReadTimeoutError, on every attempt.

Which calls count: only calls the project makes (not the ones moto makes inside its emulation while serving
a call), and only on the threads a scenario watches: the request path is the test's own thread (calls of a
route step that the in-process emulation runs on it are not the request's), a route step is any call made
inside the route worker's handler (functions.route_tasks.handler), whatever thread moto runs it on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient
from botocore.exceptions import ReadTimeoutError

from infra.local import emulation as aws_emulation

KINDS = ("throttling", "transaction", "timeout")
ROUTE_WORKER = f"{aws_emulation.FUNCTION_PREFIX}route-tasks"


@dataclass(frozen=True)
class Call:
    service: str
    operation: str
    where: str  # "request" or the route step's action

    def __str__(self) -> str:
        return f"{self.where}: {self.service}.{self.operation}"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def _response(request: Any, status: int, body: bytes, headers: dict[str, str] | None = None) -> AWSResponse:
    return AWSResponse(request.url, status, {"x-amzn-requestid": "fault", **(headers or {})}, _Raw(body))


def throttling_response(service: str, request: Any) -> AWSResponse:
    if service == "dynamodb":
        code = "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
        return _response(request, 400, json.dumps({"__type": code, "message": "Rate of requests exceeded"}).encode())
    if service in ("ses", "sts", "sns", "sqs"):  # query protocol: an XML error
        body = (
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
            "</Error><RequestId>fault</RequestId></ErrorResponse>"
        )
        return _response(request, 400, body.encode(), {"content-type": "text/xml"})
    if service in ("lambda", "s3", "scheduler"):  # rest protocols: the error code in a header
        headers = {"x-amzn-errortype": "TooManyRequestsException", "content-type": "application/json"}
        return _response(request, 429, json.dumps({"message": "Rate exceeded"}).encode(), headers)
    return _response(request, 400, json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode())


def transaction_response(request: Any) -> AWSResponse:
    items = len(json.loads(request.body or b"{}").get("TransactItems") or [None])
    reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}] * items
    body = {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "message": f"Transaction cancelled, please refer cancellation reasons for specific reasons "
        f"[{', '.join(['TransactionConflict'] * items)}]",
        "CancellationReasons": reasons,
    }
    return _response(request, 400, json.dumps(body).encode())


_ACTIVE: Injector | None = None


def _before_send(request: Any, **kwargs: Any) -> AWSResponse | None:
    return _ACTIVE._before_send(request, **kwargs) if _ACTIVE is not None else None


@dataclass
class Injector:
    """Numbers the watched calls; makes call number `fail_at` (0-based) fail with `kind`. `fail_at` may also be
    (where, n): the n-th call (0-based) made where (a route step): steps run on threads of their own, so their
    calls interleave differently from run to run, while each step's own calls come in the same order."""

    watch_request_thread: int | None = None
    watch_route_steps: bool = False
    steps: frozenset[str] = frozenset()  # the route actions watched (empty: all)
    fail_at: int | tuple[str, int] | None = None
    kind: str = "throttling"
    calls: list[Call] = field(default_factory=list)
    attempts_failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    local: threading.local = field(default_factory=threading.local)

    # --- which calls count -------------------------------------------------------------------------

    def _where(self) -> str | None:
        if getattr(self.local, "depth", 0) > 0:
            return None  # moto serving one of our calls
        step = getattr(self.local, "step", None)
        if step is not None:
            watched = self.watch_route_steps and (not self.steps or step in self.steps)
            return step if watched else None
        if self.watch_request_thread == threading.get_ident():
            return "request"
        return None

    def _before_call(self, client: Any, operation: str) -> tuple[int, tuple[str, int]] | None:
        """The number of this call if it is watched (and registers the hook on a new client)."""
        events = client.meta.events
        if not getattr(events, "caseway_fault_hook", False):  # clients outlive a test: one hook, the active injector
            events.register_first("before-send", _before_send)
            events.caseway_fault_hook = True
        where = self._where()
        if where is None:
            return None
        with self.lock:
            in_step = sum(1 for call in self.calls if call.where == where)
            self.calls.append(Call(client.meta.service_model.service_name, operation, where))
            return len(self.calls) - 1, (where, in_step)

    def _before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        current = getattr(self.local, "current", None)
        if current is None or self.fail_at not in current:
            return None
        service = self.calls[current[0]].service
        with self.lock:
            self.attempts_failed += 1
            first = self.attempts_failed == 1
        if self.kind == "timeout":
            raise ReadTimeoutError(endpoint_url=request.url)  # ends the event: moto never sees the request
        if self.kind == "transaction" and not first:
            return None
        response = (
            transaction_response(request) if self.kind == "transaction" else throttling_response(service, request)
        )
        # botocore emits before-send to every handler and takes the first answer: moto's handler, which runs after
        # this one, would still apply the request. At an address that is not AWS's, moto leaves it alone.
        request.url = "http://fault.invalid/"
        return response

    # --- installing --------------------------------------------------------------------------------

    @contextmanager
    def installed(self) -> Iterator[Injector]:
        global _ACTIVE
        original_call = BaseClient._make_api_call
        injector = self

        def make_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            number = injector._before_call(client, operation)
            local = injector.local
            saved = getattr(local, "current", None), getattr(local, "depth", 0)
            local.current = number
            local.depth = saved[1] + 1
            try:
                return original_call(client, operation, params)
            finally:
                local.current, local.depth = saved

        original_worker = aws_emulation.HANDLERS[ROUTE_WORKER]

        def route_worker(event: dict[str, Any], context: Any) -> Any:
            local = injector.local
            saved = getattr(local, "step", None), getattr(local, "depth", 0), getattr(local, "current", None)
            local.step, local.depth, local.current = str(event.get("action")), 0, None
            try:
                return original_worker(event, context)
            finally:
                local.step, local.depth, local.current = saved

        with (
            mock.patch.object(BaseClient, "_make_api_call", make_api_call),
            mock.patch.dict(aws_emulation.HANDLERS, {ROUTE_WORKER: route_worker}),
            # Each case is independent: no backoff sleeps, and no client's retry quota drained by earlier cases.
            mock.patch("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, context: 0),
            mock.patch("botocore.retries.quota.RetryQuota.acquire", lambda self, capacity_amount: True),
        ):
            _ACTIVE = self
            try:
                yield self
            finally:
                _ACTIVE = None

    def applies(self, call: Call, kind: str) -> bool:
        """A transaction can only be cancelled on a TransactWriteItems."""
        return kind != "transaction" or call.operation == "TransactWriteItems"
