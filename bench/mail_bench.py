"""E-mails per ticket, for each way a ticket can go: measured by acting each path out on the local emulation (the
real ASL on moto's interpreter, route steps in-process, a virtual clock so the silent-customer closes fire at once)
and counting what SES sent while it ran, to the customer and to the staff.

Paths: the support route's question and bug (via L2) paths and the same question from the web form (each to its
automatic close), and every catalog path of route_bench.CATALOG_PATHS (to the route's end). A route fault ends
where the manual task appears: what the person then does is theirs.

Run alone: `TZ=UTC .venv/bin/python bench/mail_bench.py` (also part of `make bench`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for _path in (str(ROOT), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from scenario import BOB, DANA, LENA, QUESTION  # noqa: E402

WEB_FORM_SENDER = "pat.customer@example.net"
SUPPORT_PATHS = ("support:question", "support:bug_via_L2", "web-form:question")


def _support_path(api: Any, public: Callable[..., Any], wait_for: Callable[..., Any], path: str) -> tuple[str, str]:
    """One support ticket from submission to the customer's reply-less resolution; returns (ticket id, customer)."""
    if path.startswith("web-form"):
        ticket = public("POST", "/public/tickets", {**QUESTION, "email": WEB_FORM_SENDER, "name": "Pat"})
        customer = WEB_FORM_SENDER
    else:
        _, ticket = api("POST", "/tickets", user=BOB, body=QUESTION)
        customer = BOB

    def task(group: str, user: str, task_type: str) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            _, page = api("GET", f"/tasks?group={group}", user=user)
            return next((t for t in page["items"] if t["ticket_id"] == ticket["id"] and t["type"] == task_type), None)

        return wait_for(find, what=f"{task_type} task")

    def finish(found: dict[str, Any], user: str, outcome: str, note: str | None = None) -> None:
        api("POST", f"/tasks/{found['id']}/take", user=user)
        api("POST", f"/tasks/{found['id']}/complete", user=user, body={"outcome": outcome, "note": note})

    bug = path.endswith("bug_via_L2")
    finish(task("L1", LENA, "classify"), LENA, "bug" if bug else "question", "reproduced on the demo tenant")
    if bug:
        finish(task("L2", DANA, "fix"), DANA, "fixed", "Fixed in 4.2.1")
        task("L1", LENA, "tell")
    else:
        task("L1", LENA, "answer")
    api("POST", f"/tickets/{ticket['id']}/messages", user=LENA, body={"body": "Solved: please check."})
    api(
        "POST",
        f"/tickets/{ticket['id']}/resolve",
        user=LENA,
        body={"resolution": "Explained and fixed", "preventive_measure": "Covered by a regression test"},
    )
    return ticket["id"], customer


def _public_caller(api: Any) -> Callable[..., Any]:
    """POST to a public endpoint (the web form) without a token."""
    from infra.local import fake_aws

    def call(method: str, path: str, body: Any) -> Any:
        event = api.gateway.event(
            method, path, {"content-type": "application/json"}, json.dumps(body).encode(), "198.51.100.9", None
        )
        result = api.handler(event, fake_aws.LambdaContext())
        if int(result["statusCode"]) >= 400:
            raise RuntimeError(f"{method} {path} -> {result['statusCode']}: {result.get('body')}")
        return json.loads(result["body"])

    return call


def _counted(mails: list[dict[str, Any]], customer: str) -> dict[str, Any]:
    to_customer = [m for m in mails if customer in m["to"]]
    return {
        "customer": len(to_customer),
        "staff": len(mails) - len(to_customer),
        "customer_subjects": [m["subject"] for m in to_customer],
    }


def measure(api_factory: Callable[[], Any], wait_for: Callable[..., Any]) -> dict[str, Any]:
    """E-mails sent per ticket on each path: {path: {customer, staff, customer_subjects}}."""
    import route_bench
    from moto import mock_aws

    from infra.local import demo
    from infra.local import emulation as aws_emulation
    from infra.local.virtual_time import VirtualClock

    results: dict[str, Any] = {}
    for path in (*SUPPORT_PATHS, *route_bench.CATALOG_PATHS):
        with mock_aws(config=aws_emulation.MOTO_CONFIG):
            aws_emulation.install_lambda_dispatcher()
            aws_emulation.provision()
            with VirtualClock(route_bench.MONDAY_0900) as vc:
                demo.seed()
                before = len(aws_emulation.sent_emails())
                api = api_factory()
                if path in SUPPORT_PATHS:
                    ticket_id, customer = _support_path(api, _public_caller(api), wait_for, path)
                    route = "support"
                    wait_for(
                        lambda t=ticket_id: "AwaitCustomer" in aws_emulation.route_states(t),
                        what="the route to wait for the customer",
                    )
                    vc.wait_for_pending(1)
                    vc.fire_next()
                else:
                    ticket_id, route = route_bench.catalog_path(api, wait_for, vc, path)
                    customer = BOB
                wait_for(
                    lambda t=ticket_id, r=route: aws_emulation.route_status(t, r) == "SUCCEEDED",
                    what=f"the {path} route to end",
                )
                results[path] = _counted(aws_emulation.sent_emails()[before:], customer)
    return results


def report(results: dict[str, Any]) -> str:
    lines = ["e-mails per ticket (measured; customer / staff):"]
    for path, found in results.items():
        subjects = " | ".join(found["customer_subjects"])
        lines.append(f"  {path:42} {found['customer']:2} / {found['staff']:<2}  {subjects}")
    return "\n".join(lines)


def main() -> int:
    import run

    results = measure(run.Api, run.wait_for)
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
