"""`caseway invite`: one command instead of the aws-cli steps. Into a deployed stage (`--stage dev`, with the
account's AWS credentials: the same invitation as POST /people, made by the desk itself, so the first manager
needs no token), or into the local stack (`--url`, through POST /people with a manager's token)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlsplit

DEFAULT_LOCAL_MANAGER = "maria.manager@caseway.example"


def add_parser(sub: argparse._SubParsersAction) -> None:
    invite = sub.add_parser(
        "invite", help="invite a customer, organisation admin, agent or manager (Cognito user, groups and record)"
    )
    target = invite.add_mutually_exclusive_group(required=True)
    target.add_argument("--stage", help="a deployed stage (dev, staging, prod), with your AWS credentials")
    target.add_argument("--url", help="the local stack, e.g. http://127.0.0.1:8000")
    invite.add_argument("--email", required=True)
    invite.add_argument("--name", help="default: the address")
    invite.add_argument("--role", required=True, choices=("customer", "agent", "manager"))
    invite.add_argument("--organisation", help="customers: their organisation id")
    invite.add_argument("--org-admin", action="store_true", help="customers: the organisation's admin")
    invite.add_argument("--groups", default="", help="agents: support groups, comma-separated, e.g. L1,L2")
    invite.add_argument("--line", help="agents: L1, L2, L3 or managers")
    invite.add_argument("--skills", default="", help="agents: comma-separated, e.g. databases,billing")
    invite.add_argument("--as", dest="as_user", default=DEFAULT_LOCAL_MANAGER, help="with --url: the manager inviting")


def invitation(args: argparse.Namespace) -> dict[str, Any]:
    """The POST /people body of the command line."""
    body: dict[str, Any] = {
        "email": args.email,
        "name": args.name or args.email,
        "role": args.role,
        "organisation_id": args.organisation,
        "org_admin": args.org_admin,
        "groups": [g for g in args.groups.split(",") if g],
        "line": args.line,
        "skills": [s for s in args.skills.split(",") if s],
    }
    return {k: v for k, v in body.items() if v not in (None, [], False)}


def run(args: argparse.Namespace) -> int:
    body = invitation(args)
    try:
        person = invite_on_stage(args.stage, body) if args.stage else invite_locally(args.url, args.as_user, body)
    except ValueError as exc:
        print(f"caseway invite: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    print(json.dumps(person, indent=2))
    return 0


def stage_environment(stage: str) -> dict[str, str]:
    """The settings the stack gave its API function (table, bus, user pool, ...): where the stage's data is."""
    import boto3  # only this command talks to a real account

    name = f"caseway-{stage}-api"
    try:
        found = boto3.client("lambda").get_function_configuration(FunctionName=name)
    except Exception as exc:
        raise ValueError(f"cannot read the function {name} of stage {stage}: {exc}") from None
    return {k: v for k, v in found["Environment"]["Variables"].items() if k.startswith("CASEWAY_")}


def invite_on_stage(stage: str, body: dict[str, Any]) -> dict[str, Any]:
    os.environ.update(stage_environment(stage))
    return invite_directly(body)


def invite_directly(body: dict[str, Any]) -> dict[str, Any]:
    """The invitation POST /people makes, made by the desk itself against the stage this process points at."""
    from shared import desk  # the logic: loaded by this command only, once the stage's settings are set
    from shared.directory import people  # as above
    from shared.platform import config, table  # as above
    from shared.platform.domain import Role  # as above
    from shared.platform.errors import DomainError  # as above
    from shared.platform.identity import Caller  # as above
    from shared.tasks import queues  # as above

    table.configure(config.get(config.TABLE_NAME), config.region())
    desk.assemble()
    desk_itself = Caller.system()
    role = Role(body["role"])
    try:
        if role in people.STAFF_ROLES:
            queues.check_routing(body.get("groups", []), body.get("line"))
        user = people.invite(
            desk_itself,
            email=body["email"],
            name=body["name"],
            role=role,
            organisation_id=body.get("organisation_id"),
            org_admin=body.get("org_admin", False),
        )
        if role in people.STAFF_ROLES and (body.get("groups") or body.get("line") or body.get("skills")):
            queues.set_agent_routing(
                desk_itself,
                user.sub,
                groups=body.get("groups", []),
                line=body.get("line"),
                skills=body.get("skills", []),
            )
        return people.person_view(people.get_person(desk_itself, user.sub))
    except DomainError as error:
        raise ValueError(f"{error.title}: {error.detail}") from None


def invite_locally(url: str, manager: str, body: dict[str, Any]) -> dict[str, Any]:
    base = url.rstrip("/")
    if urlsplit(base).scheme not in ("http", "https"):
        raise ValueError(f"--url {url!r} must be an http:// or https:// URL")
    token = _call(base, f"/local/token?user={quote(manager)}", None, None)["token"]
    return _call(base, "/people", token, body)


def _call(base: str, path: str, token: str | None, body: dict[str, Any] | None) -> Any:
    headers = {"accept": "application/json", "content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers)  # noqa: S310 - http(s) checked
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - as above
            return json.load(response)
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("detail") or exc.reason
        raise ValueError(f"{base}{path}: HTTP {exc.code} {detail}") from None
    except urllib.error.URLError as exc:
        raise ValueError(f"cannot reach {base} ({exc.reason}); is `caseway local` running?") from None
