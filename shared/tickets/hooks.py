"""What the ticket core tells the features built on it (subscribed in shared/desk.py).

The ticket core never imports a feature: contracts, figures and the task queues react here.
"""

from __future__ import annotations

from shared.platform.hooks import Counts, Hook

# (ticket, detail): a ticket was submitted, before its route starts, on the request path (R23, R26: the contract's
# limits are checked); listeners may add their findings to `detail`, the TicketSubmitted event's detail
ticket_submitted = Hook("ticket_submitted")
# (detail) -> counter updates: the TicketSubmitted event reached its consumer (functions/counters.py), off the
# request path: R28 new tickets per day, R23 the contract's usage. The consumer writes them all in one transaction
# with one mark for the ticket, so each is counted once however often the event is delivered.
ticket_submitted_counts = Counts("ticket_submitted_counts")
# (detail): the TicketSubmitted event's counts were just written (once per ticket): R24 the contract's thresholds
ticket_submitted_counted = Hook("ticket_submitted_counted")
# (detail): the TicketSubmitted event reached its consumer (every delivery): what is idempotent by itself, e.g. the
# "received" e-mail's Message-ID kept for threading replies
ticket_submitted_event = Hook("ticket_submitted_event")
# (ticket, resolver caller): a ticket was resolved (R27)
ticket_resolved = Hook("ticket_resolved")
# (ticket, rating 1-5, comment or None): the requester rated a closed ticket (R30: satisfaction per week)
ticket_rated = Hook("ticket_rated")
# (ticket, finished tasks, target status): a status change finished the ticket's open tasks, or closed it
tasks_finished = Hook("tasks_finished")
# (task) -> counter updates: a task is being created in a ticket (R28: the plan of plan/fact); written in the task's
# own conditional Put, so counted exactly once
task_created = Counts("task_created")
# (task) -> counter updates: a human step is being finished (R27, R28); written in the same transaction that marks
# the task done (conditional on the task as read), so counted exactly once
task_finished = Counts("task_finished")
# (ticket, headline, text, link): the desk told the customer something about their ticket (R10), in their language
# (`text`, the headline's message key, the ticket's page): channels besides e-mail (a linked messenger chat) tell
# them too. Fired where the e-mail goes out; a listener must not send on the API request path itself.
customer_notified = Hook("customer_notified")
