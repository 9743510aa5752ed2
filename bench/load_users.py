"""The people of `make load` (locust users) and what they report as written, for bench/load.py.

- Customers (demo customers of Acme and Globex) open question tickets, read and list them, and reply.
- L1 agents read their group's queue, take a task of a ticket the load opened, write to its customer and
  complete it (classify as a question, then answer): the support route goes on between the two.
- Managers read the figures and the L1 queue.

Every write the desk accepts (2xx) is recorded in `WRITES`; bench/load.py reads the store afterwards and
counts what is missing (lost writes). Any other answer is a locust failure (an error), with one exception:
two agents taking the same task at once, where the second gets 409 "already taken" (the business answer
of R14, not a fault); those are counted apart as `take_races`.

Tokens come from the local stack's `GET /local/token?user=` (as the README shows), once per simulated user.
"""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from locust import HttpUser, between, task

CUSTOMERS = ("bob@acme.example", "alice@acme.example", "gus@globex.example", "vera@globex.example")
AGENTS = ("lena.l1@caseway.example", "petr.l1@caseway.example")
MANAGERS = ("maria.manager@caseway.example",)
TYPES_AGENTS_WORK = ("classify", "answer", "reply")  # the L1 tasks of a question ticket's life


@dataclass
class Writes:
    """What the desk answered as written, by the load's simulated users (greenlets of one process)."""

    tickets: dict[str, str] = field(default_factory=dict)  # ticket id -> customer email
    messages: dict[str, str] = field(default_factory=dict)  # message id -> ticket id (customers' and agents')
    taken: dict[str, str] = field(default_factory=dict)  # task id -> agent sub
    completed: dict[str, str] = field(default_factory=dict)  # task id -> ticket id
    working_on: set[str] = field(default_factory=set)  # tasks a simulated agent is busy with right now
    take_races: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tickets_of(self, email: str) -> list[str]:
        with self.lock:
            return [t for t, who in self.tickets.items() if who == email]


WRITES = Writes()
_numbers = itertools.count(1)


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)  # think time between two actions of one person
    emails: tuple[str, ...] = ()

    def on_start(self) -> None:
        self.email = self.emails[next(_numbers) % len(self.emails)]
        with self.client.get(
            f"/local/token?user={self.email}", name="GET /local/token", catch_response=True
        ) as response:
            body = _json(response)
            if response.status_code != 200 or not isinstance(body, dict) or "token" not in body:
                response.failure(f"no token for {self.email}: {response.status_code} {response.text[:200]}")
                self.stop()
                return
            self.sub = body["claims"]["sub"]
            self.client.headers.update({"authorization": f"Bearer {body['token']}"})

    def expect(self, response: Any, *statuses: int) -> Any:
        """The response's JSON when its status is one of `statuses`; otherwise a failure (an error)."""
        if response.status_code not in statuses:
            response.failure(f"{response.status_code}: {response.text[:300]}")
            return None
        body = _json(response)
        if body is None:
            response.failure(f"{response.status_code} without a JSON body")
        return body


class Customer(Person):
    weight = 6
    emails = CUSTOMERS

    def _a_ticket(self) -> str | None:
        mine = WRITES.tickets_of(self.email)
        return random.choice(mine) if mine else None

    @task(2)
    def open_ticket(self) -> None:
        n = next(_numbers)
        body = {
            "service": "functionality-question",
            "subject": f"CSV export fails ({n})",
            "description": "Exporting the monthly report to CSV ends with an error page.",
            "fields": {"problem": "Export button shows an error", "contact": "+420 123 456 789"},
        }
        with self.client.post("/tickets", json=body, name="POST /tickets", catch_response=True) as response:
            created = self.expect(response, 201)
            if created:
                with WRITES.lock:
                    WRITES.tickets[created["id"]] = self.email

    @task(4)
    def read_ticket(self) -> None:
        ticket_id = self._a_ticket()
        if ticket_id is None:
            return self.open_ticket()
        with self.client.get(f"/tickets/{ticket_id}", name="GET /tickets/{id}", catch_response=True) as response:
            self.expect(response, 200)

    @task(2)
    def list_tickets(self) -> None:
        with self.client.get("/tickets", name="GET /tickets", catch_response=True) as response:
            self.expect(response, 200)

    @task(3)
    def reply(self) -> None:
        ticket_id = self._a_ticket()
        if ticket_id is None:
            return self.open_ticket()
        body = {"body": f"It also fails for the weekly report ({next(_numbers)})."}
        with self.client.post(
            f"/tickets/{ticket_id}/messages", json=body, name="POST /tickets/{id}/messages", catch_response=True
        ) as response:
            created = self.expect(response, 201)
            if created:
                with WRITES.lock:
                    WRITES.messages[created["message"]["id"]] = ticket_id


class Agent(Person):
    weight = 3
    emails = AGENTS

    @task
    def work_a_task(self) -> None:
        with self.client.get("/tasks?group=L1&limit=100", name="GET /tasks?group=L1", catch_response=True) as r:
            queue = self.expect(r, 200)
        if not queue:
            return
        with WRITES.lock:
            ours = set(WRITES.tickets)
            busy = set(WRITES.working_on)
        # Several simulated agents share one demo identity: none picks a task another of them is working on
        # (one person does not take the same task twice); two different agents still race for the same task.
        candidates = [
            t
            for t in queue["items"]
            if t["ticket_id"] in ours
            and t["type"] in TYPES_AGENTS_WORK
            and t["assignee"] in (None, self.sub)
            and t["id"] not in busy
        ]
        if not candidates:
            return
        chosen = random.choice(candidates[:5])
        with WRITES.lock:
            if chosen["id"] in WRITES.working_on:
                return
            WRITES.working_on.add(chosen["id"])
        try:
            self._work_on(chosen)
        finally:
            with WRITES.lock:
                WRITES.working_on.discard(chosen["id"])

    def _work_on(self, chosen: dict[str, Any]) -> None:
        if not self._take(chosen):
            return
        self.wait()  # reading the ticket before writing
        body = {"body": f"Thank you, we are looking into it ({next(_numbers)})."}
        with self.client.post(
            f"/tickets/{chosen['ticket_id']}/messages",
            json=body,
            name="POST /tickets/{id}/messages (agent)",
            catch_response=True,
        ) as response:
            created = self.expect(response, 201)
            if created:
                with WRITES.lock:
                    WRITES.messages[created["message"]["id"]] = chosen["ticket_id"]
        outcome = "question" if chosen["type"] == "classify" else "answered"
        with self.client.post(
            f"/tasks/{chosen['id']}/complete",
            json={"outcome": outcome, "note": "handled under load"},
            name="POST /tasks/{id}/complete",
            catch_response=True,
        ) as response:
            if self.expect(response, 200):
                with WRITES.lock:
                    WRITES.completed[chosen["id"]] = chosen["ticket_id"]

    def _take(self, chosen: dict[str, Any]) -> bool:
        with self.client.post(
            f"/tasks/{chosen['id']}/take", name="POST /tasks/{id}/take", catch_response=True
        ) as response:
            problem = _json(response) if response.status_code == 409 else None
            if isinstance(problem, dict) and "already taken by" in str(problem.get("detail")):
                response.success()  # another agent was quicker (R14: the first taker); not a fault
                with WRITES.lock:
                    WRITES.take_races += 1
                return False
            if self.expect(response, 200) is None:
                return False
            with WRITES.lock:
                WRITES.taken[chosen["id"]] = self.sub
            return True


class Manager(Person):
    weight = 1
    emails = MANAGERS

    @task(3)
    def figures(self) -> None:
        with self.client.get("/figures/manager", name="GET /figures/manager", catch_response=True) as response:
            self.expect(response, 200)

    @task(1)
    def queue(self) -> None:
        with self.client.get("/tasks?group=L1", name="GET /tasks?group=L1", catch_response=True) as response:
            self.expect(response, 200)
