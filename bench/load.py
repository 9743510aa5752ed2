"""`make load`: the desk under load (locust, headless), then the lost writes counted; not part of the tests.

    make load                         # 50 people for 2 minutes against a local stack started for the run
    USERS=5 DURATION=10s make load    # fewer people, shorter
    URL=http://127.0.0.1:8000 make load   # against a stack that already runs (`make run`)

The mix (bench/load_users.py): customers open, read, list and reply to tickets; L1 agents take the tasks of
those tickets, write to the customer and complete them (the support route goes on in between); managers read
the figures and the queue. Without URL, `caseway local` is started on a free port (its log: --stack-log) and
stopped afterwards.

Afterwards every ticket and message the desk answered as created (2xx) is looked up in the store as staff see
it (`GET /tickets/{id}`: one Query of the ticket's items), and every task completed with 200 must be done there:
each missing one is a lost write. p50/p95 per endpoint, the error count and the lost writes go into the "load"
key of bench/results.json (the rest of the file, written by `make bench`, is kept; --results names another
file). Exit code 1 when there were errors or lost writes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.env import Environment

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path[:0] = [p for p in (str(ROOT), str(BENCH)) if p not in sys.path]

import load_users  # noqa: E402

RESULTS = BENCH / "results.json"
STAFF = "maria.manager@caseway.example"  # reads every ticket back after the run
STARTUP_S = 180
READ_BACK_TIMEOUT_S = 300  # the stack may still be working off the load's last requests


def parse_duration(text: str) -> float:
    """Seconds from "120", "90s", "2m" or "1m30s"."""
    found = re.fullmatch(r"\s*(?:(\d+)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*", text or "")
    if not found or not any(found.groups()):
        raise SystemExit(f"DURATION {text!r} is not a duration such as 120, 90s, 2m or 1m30s")
    return int(found.group(1) or 0) * 60 + float(found.group(2) or 0)


# --- the stack -----------------------------------------------------------------------------------------------


class Stack:
    """`caseway local` in a child process on a free port, its output in a log file."""

    def __init__(self, log_path: Path) -> None:
        from infra.local.stack import free_port  # the project's own helper, only needed when we start the stack

        self.port = free_port()
        self.smtp_port = free_port()  # its SMTP server: never the 2525 of a `make run` beside it
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Stack:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"TZ": "UTC"}
        env.setdefault("SMTP_PORT", str(self.smtp_port))
        env.setdefault("CASEWAY_DEMO_TICKETS", "0")  # the load brings its own tickets; the API waits for no demo
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.cli", "local", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + STARTUP_S
        while time.monotonic() < deadline:
            if "Press Ctrl-C" in self.log():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"the local stack did not start; its log ({self.log_path}):\n{self.log()[-3000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


# --- counting lost writes --------------------------------------------------------------------------------------


def _get(base: str, path: str, token: str | None = None) -> tuple[int, Any]:
    headers = {"accept": "application/json"} | ({"authorization": f"Bearer {token}"} if token else {})
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=READ_BACK_TIMEOUT_S) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")[:300]
    except OSError as error:  # timed out or refused: reported as unreadable, never counted as stored
        return 0, repr(error)


def lost_writes(base: str, writes: load_users.Writes) -> dict[str, Any]:
    """Every ticket, message and completed task the load was told was written, looked up in the store."""
    status, body = _get(base, f"/local/token?user={STAFF}")
    if status != 200:
        raise SystemExit(f"no token for {STAFF} to read the tickets back: {status} {body}")
    token = body["token"]
    missing: dict[str, list[str]] = {"tickets": [], "messages": [], "completed_tasks": []}
    unreadable: list[str] = []
    views: dict[str, Any] = {}
    for ticket_id in sorted(writes.tickets):
        status, view = _get(base, f"/tickets/{ticket_id}", token)
        if status == 404:
            missing["tickets"].append(ticket_id)
        elif status != 200:
            unreadable.append(f"{ticket_id}: {status} {view}")
        else:
            views[ticket_id] = view
    stored_messages = {m["id"] for v in views.values() for m in v["messages"]}
    done_tasks = {t["id"] for v in views.values() for t in v.get("tasks", []) if t["status"] == "done"}
    for message_id, ticket_id in sorted(writes.messages.items()):
        if ticket_id in views and message_id not in stored_messages:
            missing["messages"].append(f"{ticket_id}/{message_id}")
    for task_id, ticket_id in sorted(writes.completed.items()):
        if ticket_id in views and task_id not in done_tasks:
            missing["completed_tasks"].append(task_id)
    return {
        "checked": {
            "tickets": len(writes.tickets),
            "messages": len(writes.messages),
            "completed_tasks": len(writes.completed),
        },
        "missing": missing,
        "lost": sum(len(v) for v in missing.values()),
        "unreadable": unreadable,  # a read-back that failed: reported, and the run fails
    }


# --- the run -------------------------------------------------------------------------------------------------------


def run_load(url: str, users: int, seconds: float) -> Environment:
    env = Environment(user_classes=[load_users.Customer, load_users.Agent, load_users.Manager], host=url, events=events)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(1.0, users / 5))  # everyone in within about 5 s
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    return env


def endpoint_figures(env: Environment) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for (name, _method), entry in sorted(env.stats.entries.items()):
        out[name] = {
            "requests": entry.num_requests,
            "errors": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5) if entry.num_requests else None,
            "p95_ms": entry.get_response_time_percentile(0.95) if entry.num_requests else None,
            "max_ms": round(entry.max_response_time or 0, 1),
        }
    return out


def error_figures(env: Environment) -> list[dict[str, Any]]:
    found = []
    for error in env.stats.errors.values():
        found.append({"endpoint": error.name, "error": str(error.error)[:300], "count": error.occurrences})
    return sorted(found, key=lambda e: -e["count"])


def handler_errors(log: str) -> dict[str, int]:
    """The stack's "handler error: ..." lines (the API Lambda crashed), by message."""
    lines = [line.split("handler error: ", 1)[1][:160] for line in log.splitlines() if "handler error: " in line]
    return dict(Counter(lines).most_common(20))


def write_results(path: Path, load: dict[str, Any]) -> None:
    results = json.loads(path.read_text()) if path.exists() else {}
    results["load"] = load
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=int(os.environ.get("USERS") or 50))
    parser.add_argument("--duration", default=os.environ.get("DURATION") or "2m")
    parser.add_argument("--url", default=os.environ.get("URL") or None, help="a running stack; default: start one")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--stack-log", type=Path, default=Path(tempfile.gettempdir()) / "caseway-load-stack.log")
    args = parser.parse_args(argv)
    seconds = parse_duration(args.duration)

    stack = None if args.url else Stack(args.stack_log).start()
    url = (args.url or stack.url).rstrip("/")  # type: ignore[union-attr]
    started = datetime.datetime.now(datetime.UTC)
    try:
        print(f"load: {args.users} users for {seconds:g} s against {url}", flush=True)
        env = run_load(url, args.users, seconds)
        writes = load_users.WRITES
        checked = lost_writes(url, writes)
        log = stack.log() if stack else ""
    finally:
        if stack:
            stack.stop()

    total = env.stats.total
    load = {
        "date": started.isoformat(timespec="seconds"),
        "target": url if args.url else "caseway local (started for the run)",
        "users": args.users,
        "duration_s": seconds,
        "mix": "customers 6 : agents 3 : managers 1 (bench/load_users.py), think time 1-3 s",
        "requests": total.num_requests,
        "requests_per_s": round(total.num_requests / seconds, 1) if seconds else None,
        "errors": total.num_failures,
        "error_detail": error_figures(env),
        "stack_handler_errors": handler_errors(log),
        "take_races": writes.take_races,
        "lost_writes": checked["lost"],
        "lost_writes_detail": checked,
        "p50_ms": total.get_response_time_percentile(0.5) if total.num_requests else None,
        "p95_ms": total.get_response_time_percentile(0.95) if total.num_requests else None,
        "endpoints": endpoint_figures(env),
        "ok": total.num_failures == 0 and checked["lost"] == 0 and not checked["unreadable"],
    }
    write_results(args.results, load)
    print(report(load))
    print(f"wrote the load figures into {args.results}")
    return 0 if load["ok"] else 1


def report(load: dict[str, Any]) -> str:
    lines = [f"{'endpoint':40} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7}"]
    for name, e in load["endpoints"].items():
        lines.append(f"{name:40} {e['requests']:>8} {e['errors']:>6} {e['p50_ms'] or 0:>7.0f} {e['p95_ms'] or 0:>7.0f}")
    checked = load["lost_writes_detail"]["checked"]
    lines += [
        f"{'all':40} {load['requests']:>8} {load['errors']:>6} {load['p50_ms'] or 0:>7.0f} {load['p95_ms'] or 0:>7.0f}",
        f"written and checked afterwards: {checked['tickets']} tickets, {checked['messages']} messages, "
        f"{checked['completed_tasks']} completed tasks; lost writes: {load['lost_writes']}; "
        f"tasks another agent took first: {load['take_races']}",
    ]
    lines += [f"  error x{e['count']} {e['endpoint']}: {e['error']}" for e in load["error_detail"]]
    lines += [f"  stack: handler error x{n} {text}" for text, n in load["stack_handler_errors"].items()]
    if load["lost_writes_detail"]["unreadable"]:
        lines.append(f"  could not read back: {load['lost_writes_detail']['unreadable'][:5]}")
    lines.append("OK" if load["ok"] else "FAIL: errors or lost writes")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
