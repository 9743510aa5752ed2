"""The local stack (`caseway local`, `make run`): the whole helpdesk on 127.0.0.1 with AWS emulated by moto.

- moto runs in server mode on its own port (printed, so `aws --endpoint-url ...` works against it);
- the gateway (gateway.py) plays API Gateway and calls the same Lambda handler as the cloud, behind the
  HTTP server of server.py (which also answers the local-only endpoints /local/...);
- routes run on moto's Step Functions interpreter with their Lambda steps dispatched in-process;
- schedules fire on time (emulation.Scheduler), the demo desk is seeded (demo.seed());
- the demo tickets are worked through the API on a virtual clock that then follows the real time (demo.tickets;
  CASEWAY_DEMO_TICKETS=0 starts without them, as the tests that bring their own tickets do).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

from moto.server import ThreadedMotoServer

from infra.local import demo, emulation
from infra.local import telegram as local_telegram
from infra.local.demo import tickets as demo_tickets
from infra.local.gateway import Gateway
from infra.local.server import DeskServer, make_server
from infra.local.smtp import DEFAULT_PORT as DEFAULT_SMTP_PORT
from infra.local.smtp import SmtpServer
from infra.local.virtual_time import VirtualClock

DEMO_TICKETS_ENV = "CASEWAY_DEMO_TICKETS"
# Rehearsal mode (tests/rehearsal): the prepared stage (infra/rehearsal/stage.py, a JSON file; prepared here when
# unset) and the folder where the function processes leave their records, calls and logs.
REHEARSAL_PREPARED_ENV = "CASEWAY_REHEARSAL_PREPARED"
REHEARSAL_DIR_ENV = "CASEWAY_REHEARSAL_DIR"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class LocalStack:
    """Start and stop everything: moto server, resources, demo data, gateway."""

    def __init__(
        self,
        port: int = 8000,
        moto_port: int | None = None,
        seed: bool = True,
        smtp_port: int | None = None,
        tickets: bool | None = None,
        rehearsal: bool = False,
    ) -> None:
        self.port = port
        self.smtp_port = smtp_port or int(os.environ.get("SMTP_PORT") or DEFAULT_SMTP_PORT)
        self.smtp: SmtpServer | None = None
        self.moto_port = moto_port or free_port()
        self.seed = seed
        if tickets is None:
            tickets = os.environ.get(DEMO_TICKETS_ENV, "1").strip().lower() not in ("0", "false", "no", "off")
        self.tickets = seed and tickets and not rehearsal  # the demo tickets' virtual clock is this process's own
        self.rehearsal = rehearsal
        self.runner: Any = None
        self.setup_answer: dict[str, Any] = {}
        self.moto: ThreadedMotoServer | None = None
        self.clock: VirtualClock | None = None
        self.progress: demo_tickets.Progress | None = None
        self.demo: demo_tickets.Desk | None = None
        self.scheduler: emulation.Scheduler | None = None
        self.httpd: DeskServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    def start(self) -> LocalStack:
        if not port_is_free(self.port):
            raise SystemExit(f"Port {self.port} on 127.0.0.1 is already in use; stop what uses it or set PORT=...")
        if not port_is_free(self.smtp_port):
            raise SystemExit(
                f"Port {self.smtp_port} on 127.0.0.1 (the desk's SMTP server) is already in use; "
                "stop what uses it or set SMTP_PORT=..."
            )
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SESSION_TOKEN": "testing",
                "AWS_REGION": "us-east-1",
                "AWS_DEFAULT_REGION": "us-east-1",
                "MOTO_PORT": str(self.moto_port),
                "AWS_ENDPOINT_URL": self.moto_url,
                "CASEWAY_PUBLIC_BASE_URL": self.url,
                "CASEWAY_SITE_URL": self.url,  # the local server serves the web app on the API's origin
            }
        )
        self._start_moto()
        emulation.install_lambda_dispatcher()
        if self.rehearsal:
            self._rehearse()
        else:
            emulation.provision()  # the dev template's resources, and this process's settings pointing at them
            local_telegram.install(self.url)  # the bot, its token, the fake Bot API and the webhook registered there
        gateway = Gateway()
        preparing = None
        if self.tickets:
            now = datetime.now(UTC)
            self.clock = VirtualClock(demo_tickets.start_instant(now), safety_timeout=None, poll=0.1).install()
            self.progress = demo_tickets.Progress()
            preparing = threading.Thread(target=self._prepare_demo, args=(gateway, now), name="caseway-demo")
        elif self.seed:
            demo.seed()
        self.scheduler = emulation.Scheduler()
        if preparing is None:
            self.scheduler.start()
        self.httpd = make_server(self.port, gateway, demo_progress=self.progress)
        threading.Thread(target=self.httpd.serve_forever, name="caseway-gateway", daemon=True).start()
        self.smtp = SmtpServer(self.smtp_port).start()  # inbound e-mail, as SES's receipt rule delivers it
        if preparing is not None:
            preparing.daemon = True
            preparing.start()
        return self

    def _rehearse(self) -> None:
        """Rehearsal mode: the dev template's resources created in the emulated AWS, its functions as processes of
        their own (infra/rehearsal/runner.py) receiving every invocation, this process's settings the template's
        (what the local stack does itself, seeding and tokens, uses the same resources), and the desk set up by the
        template's setup custom resource, as a first deploy does."""
        from pathlib import Path  # rehearsal mode only

        from infra.rehearsal import stage  # rehearsal mode only
        from infra.rehearsal.runner import Runner  # rehearsal mode only
        from shared.platform import aws, config, table  # rehearsal mode only

        prepared_file = os.environ.get(REHEARSAL_PREPARED_ENV)
        prepared = stage.Prepared.load(Path(prepared_file)) if prepared_file else stage.prepare("dev")
        template = prepared.template()
        physical = emulation.provision(template=template)  # every resource from the template: the one list
        record_dir = Path(os.environ.get(REHEARSAL_DIR_ENV) or tempfile.mkdtemp(prefix="caseway-rehearsal-"))
        self.runner = Runner(
            template,
            physical,
            endpoint=self.moto_url,
            record_dir=record_dir,
            assets=prepared.asset_paths(),
            runtime=Path(prepared.runtime),
            profiles=prepared.profiles,
            overrides={config.TELEGRAM_API_URL: f"{self.url}{local_telegram.PREFIX}"},
        )
        (record_dir / "physical.json").write_text(  # what the IAM check resolves the template against
            json.dumps({"refs": physical.refs, "attributes": physical.attributes}, default=str)
        )
        api = next(f for f in self.runner.functions.values() if f.handler == "functions.api.app.handler")
        os.environ.update(api.environment)
        os.environ[config.TELEGRAM_API_URL] = f"{self.url}{local_telegram.PREFIX}"
        worker = os.environ[config.WORKER_FUNCTION]
        emulation.rehearse(self.runner, worker.removesuffix("route-tasks"))
        aws.reset()
        table.configure(os.environ[config.TABLE_NAME], config.region())  # this process's models: the template's table
        aws.client("secretsmanager").put_secret_value(
            SecretId=os.environ[config.TELEGRAM_TOKEN_SECRET], SecretString=local_telegram.FAKE.token
        )
        local_telegram.register_webhook(self.url)
        self.runner.warm()
        self._setup_as_deployed(template)

    def _setup_as_deployed(self, template: dict[str, Any]) -> None:
        """The setup custom resource's Create, as CloudFormation sends it on a fresh stage: the answer is PUT to the
        response URL (an emulated S3 object here) and must say SUCCESS."""
        from shared.platform import aws  # rehearsal mode only

        logical_id, resource = next(
            (k, r) for k, r in template["Resources"].items() if r["Type"] == "Custom::CasewayDeskSetup"
        )
        s3 = aws.client("s3")
        s3.create_bucket(Bucket="rehearsal-cloudformation-responses")
        key = f"{logical_id}/create"
        event = {
            "RequestType": "Create",
            "ServiceToken": self.runner.physical.resolve(resource["Properties"]["ServiceToken"]),
            "ResponseURL": f"{self.moto_url}/rehearsal-cloudformation-responses/{key}",
            "StackId": self.runner.physical.pseudo["AWS::StackId"],
            "RequestId": "rehearsal-create",
            "LogicalResourceId": logical_id,
            "ResourceType": resource["Type"],
            "ResourceProperties": self.runner.physical.resolve(resource["Properties"]),
        }
        self.setup_answer = emulation.call(event["ServiceToken"], event)
        answered = json.loads(s3.get_object(Bucket="rehearsal-cloudformation-responses", Key=key)["Body"].read())
        if answered.get("Status") != "SUCCESS":
            raise SystemExit(f"The desk's setup custom resource failed: {answered.get('Reason')}")

    def _prepare_demo(self, gateway: Gateway, now: datetime) -> None:
        """The demo desk and its tickets on the virtual clock started in the past, while the server already answers
        (the API with 503 until the demo is ready); then the clock follows the real time for as long as the stack
        runs (the routes of the demo tickets wait on it) and the schedules start."""
        assert self.clock is not None and self.progress is not None and self.scheduler is not None
        error: BaseException | None = None
        try:
            demo.seed(imported=False)
            self.demo = demo_tickets.seed(gateway, self.clock, now, self.progress)
        except Exception as failed:  # the desk still starts, without the rest of the demo; the log says why
            error = failed
            sys.stderr.write(f"The demo tickets could not be prepared: {failed!r}\n")
            if not self.clock.follows_real_time:
                self.clock.follow_real_time()
        self.progress.finish(error)
        self.scheduler.start()
        print(f"Demo tickets {self.progress.state} after {self.progress.seconds} s.", flush=True)

    def _start_moto(self) -> None:
        """moto in server mode on its own port, configured to run state machines (see emulation.MOTO_CONFIG)."""
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self.moto.start()
        request = urllib.request.Request(  # noqa: S310 - our own loopback moto server
            f"{self.moto_url}/moto-api/config",
            method="POST",
            data=json.dumps(emulation.MOTO_CONFIG).encode(),
            headers={"content-type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=10).read()  # noqa: S310 - our own loopback moto server

    def stop(self) -> None:
        if self.smtp:
            self.smtp.stop()
        if self.scheduler:
            self.scheduler.stop()
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
        if self.runner:
            self.runner.close()
        if self.moto:
            self.moto.stop()
        if self.clock:
            self.clock.stop_following()


def demo_user_lines() -> list[str]:
    """One line per demo user: e-mail, role, support groups, organisation (organisation admins marked)."""
    names = {org["org_id"]: org["name"] for org in demo.DEMO_ORGANISATIONS}
    rows = [("e-mail", "role", "groups", "organisation")]
    for user in demo.DEMO_USERS:
        org_id = user.get("organisation_id")
        if org_id:
            organisation = f"{names[org_id]} ({org_id})" + (", org admin" if user.get("org_admin") else "")
        else:
            organisation = "the provider (staff)"
        rows.append((user["email"], user["role"].value, ",".join(user.get("groups") or []) or "-", organisation))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [
        "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[3]
        for row in rows
    ]


def banner(stack: LocalStack) -> str:
    lines = [
        f"Caseway is running on {stack.url}",
        f"  web app       {stack.url}/   (sign in as any demo user, no password)",
        f"  web form      {stack.url}/app/form   (without an account)",
        f"  API docs      {stack.url}/docs   (OpenAPI: {stack.url}/openapi.json)",
        f"  mailbox       {stack.url}/local/mailbox",
        f"  mail in       smtp://127.0.0.1:{stack.smtp_port}   (SMTP to support@ or a ticket's reply address)",
        f"  schedules     {stack.url}/local/schedules   (fire now: POST /local/schedules/<name>)",
        f"  telegram      {stack.url}/local/telegram   (play the Telegram user; the bot's fake Bot API)",
        f"  emulated AWS  {stack.moto_url}   (aws --endpoint-url {stack.moto_url} dynamodb list-tables)",
        "",
        "Demo users (sign in on the web app, or get a token: curl '" + stack.url + "/local/token?user=<email>'):",
        *demo_user_lines(),
    ]
    if stack.progress is not None:
        lines += [
            "",
            f"Demo tickets: being worked through the desk now, on a clock running through the last "
            f"{demo_tickets.HISTORY_HOURS:g} working hours",
            f"  (the API answers 503 until they are ready: {stack.url}/local/demo says when and what each shows)",
        ]
    if stack.rehearsal and stack.runner is not None:
        reason = stack.setup_answer.get("Reason", "")
        lines += [
            "",
            f"Rehearsal: the setup custom resource answered {stack.setup_answer.get('Status')}: {reason}",
            f"Rehearsal: {len(stack.runner.functions)} functions, each a process of its own; records in "
            f"{stack.runner.record_dir}",
        ]
    client = emulation.machine_client()
    lines += [
        "",
        "Machine client (client credentials; a manager maps it to an organisation with",
        "PUT /organisations/<id>/machine-clients/<client id>, then POST /local/oauth2/token):",
        f"client id {client['ClientId']}  secret {client['ClientSecret']}",
    ]
    lines += ["", "Press Ctrl-C to stop."]
    return "\n".join(lines)


def run(port: int, rehearsal: bool = False) -> None:
    stack = LocalStack(port=port, rehearsal=rehearsal).start()
    print(banner(stack), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        stack.stop()
