"""The desk assembled: the composition root of every process (the API, the route worker, housekeeping, the local
stack, the tests).

The lower contexts declare hook points (shared/directory/hooks.py, shared/tickets/hooks.py) and extension points
(tasks kept outside a ticket: shared/tasks/work.py DETACHED_KINDS); this module is the one place that subscribes the
features to them, so the ticket core never imports a feature. It also loads every item type the table holds
(shared/platform/table.py ITEM_MODULES): a Query over a partition must be able to type each item it returns.

Each entry point calls `assemble()` once at import (repeating it changes nothing); nothing here loads the SLA
calendars (the API's asset leaves them out).
"""

from __future__ import annotations

from shared.channels import telegram
from shared.directory import hooks as directory_hooks
from shared.directory import organisations, plans
from shared.figures import counts as figures
from shared.money import contracts, incidents, offers
from shared.platform import hooks, table
from shared.platform.identity import Caller
from shared.review import tasks as review_tasks
from shared.tasks import hooks as task_hooks
from shared.tasks import work
from shared.tickets import confirmations, mailing
from shared.tickets import hooks as ticket_hooks
from shared.tickets.items import HeldTicket, Ticket


def _open_confirmed_mail(held: HeldTicket, requester: Caller) -> Ticket:
    from shared.channels import inbound  # e-mail parsing, loaded only when a held e-mail is confirmed (cold start)

    return inbound.open_confirmed(held, requester)


def assemble() -> None:
    table.all_models()
    directory_hooks.organisation_saved.subscribe(figures.register_organisation)  # R28: time per customer
    directory_hooks.person_saved.subscribe(figures.register_person)  # R28: the specialists' day map
    ticket_hooks.ticket_submitted.subscribe(offers.on_submitted)  # R23, R26: limits and scope, told in the ticket
    ticket_hooks.ticket_submitted_counts.subscribe(figures.submitted_counts)  # R28: new tickets per day
    ticket_hooks.ticket_submitted_counts.subscribe(offers.submitted_counts)  # R23: the contract's usage
    ticket_hooks.ticket_submitted_counted.subscribe(offers.check_submitted_thresholds)  # R24: threshold incidents
    ticket_hooks.ticket_submitted_event.subscribe(mailing.remember_received)  # the "received" e-mail's Message-ID
    ticket_hooks.ticket_resolved.subscribe(figures.ticket_resolved)  # R27: the owner's SLA met ratio
    ticket_hooks.ticket_rated.subscribe(figures.ticket_rated)  # R28, R30: satisfaction per week
    ticket_hooks.task_created.subscribe(figures.task_created)  # R28: the plan of plan/fact
    ticket_hooks.task_finished.subscribe(figures.task_finished)  # R27, R28: the fact, the assignee's closed tasks
    task_hooks.route_fault.subscribe(incidents.route_fault)  # R24: a route fault is an incident for the managers
    ticket_hooks.tasks_finished.subscribe(work.release_finished)  # the routes are told; the waiting board follows
    ticket_hooks.customer_notified.subscribe(telegram.on_customer_notified)  # a linked Telegram chat hears it too
    confirmations.OPENERS["email"] = _open_confirmed_mail  # a held e-mail, confirmed, with its files
    organisations.plan_ids = lambda: plans.known_ids("plan")  # what an organisation may name: the stored ones
    organisations.calendar_ids = lambda: plans.known_ids("calendar")
    if contracts.contract_terms not in plans.ASSIGNMENTS:
        plans.ASSIGNMENTS.append(contracts.contract_terms)  # a contract's support plan and calendar (issue 12)
    work.DETACHED_KINDS[review_tasks.TASK_PREFIX] = work.DetachedKind(  # R20, R22: review tasks
        take=review_tasks.take_review_task, complete=review_tasks.complete_review_task
    )
    hooks.mark_assembled()
