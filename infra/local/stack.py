"""The local stack (`caseway local`, `make run`): the whole helpdesk on 127.0.0.1 with AWS emulated by moto.

- moto runs in server mode on its own port (printed, so `aws --endpoint-url ...` works against it);
- the gateway (gateway.py) plays API Gateway and calls the same Lambda handler as the cloud, behind the
  HTTP server of server.py (which also answers the local-only endpoints /local/...);
- routes run on moto's Step Functions interpreter with their Lambda steps dispatched in-process;
- schedules fire on time (emulation.Scheduler), the demo desk is seeded (demo.seed()).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import urllib.request

from moto.server import ThreadedMotoServer

from infra.local import demo, emulation
from infra.local import telegram as local_telegram
from infra.local.gateway import Gateway
from infra.local.server import DeskServer, make_server


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

    def __init__(self, port: int = 8000, moto_port: int | None = None, seed: bool = True) -> None:
        self.port = port
        self.moto_port = moto_port or free_port()
        self.seed = seed
        self.moto: ThreadedMotoServer | None = None
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
        local_telegram.install(self.url)  # the bot, its token, the fake Bot API and the webhook registered there
        emulation.provision()
        if self.seed:
            demo.seed()
        self.scheduler = emulation.Scheduler()
        self.scheduler.start()
        self.httpd = make_server(self.port, Gateway())
        threading.Thread(target=self.httpd.serve_forever, name="caseway-gateway", daemon=True).start()
        return self

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
        if self.scheduler:
            self.scheduler.stop()
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
        if self.moto:
            self.moto.stop()


def banner(stack: LocalStack) -> str:
    lines = [
        f"Caseway is running on {stack.url}",
        f"  web app       {stack.url}/   (sign in as any demo user, no password)",
        f"  web form      {stack.url}/form",
        f"  API docs      {stack.url}/docs   (OpenAPI: {stack.url}/openapi.json)",
        f"  mailbox       {stack.url}/local/mailbox",
        f"  schedules     {stack.url}/local/schedules   (fire now: POST /local/schedules/<name>)",
        f"  telegram      {stack.url}/local/telegram   (play the Telegram user; the bot's fake Bot API)",
        f"  emulated AWS  {stack.moto_url}   (aws --endpoint-url {stack.moto_url} dynamodb list-tables)",
        "",
        "Demo users (get a token: curl '" + stack.url + "/local/token?user=<email>'):",
    ]
    lines += [f"{u['email']} {u['role'].value}" for u in demo.DEMO_USERS]
    client = emulation.machine_client()
    lines += [
        "",
        "Machine client (client credentials; a manager maps it to an organisation with",
        "PUT /organisations/<id>/machine-clients/<client id>, then POST /local/oauth2/token):",
        f"client id {client['ClientId']}  secret {client['ClientSecret']}",
    ]
    lines += ["", "Press Ctrl-C to stop."]
    return "\n".join(lines)


def run(port: int) -> None:
    stack = LocalStack(port=port).start()
    print(banner(stack), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        stack.stop()
