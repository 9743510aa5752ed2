"""Demo contracts (R23-R26). The tests' desk also gets an imported history that puts them near their limits, so
the manager's incidents show at once: Acme has used 85 % of its specialist hours (time on two closed tickets from
before the desk's history), Globex 82 % of its tickets. The limits are set so that ordinary use of the demo (and the
tests' tickets) stays within them. `make run` leaves the imported history out (`imported=False`): its usage and
figures come from the demo tickets worked through the API (infra/local/demo/tickets.py)."""

from __future__ import annotations

from datetime import date, timedelta

from shared.money import contracts, usage
from shared.money import keys as money_keys
from shared.money.items import TimeEntry
from shared.platform import clock
from shared.platform.domain import Status
from shared.platform.identity import Caller
from shared.tickets import items as ticket_items
from shared.tickets.items import Ticket

# An imported ticket of the previous history: closed, not in any list (no index keys), reachable by id only.
HISTORY = [
    ("01DEMOACMEHIST0000000000001", "CW-0901", "functionality-question", "Monthly report totals", [300, 240]),
    ("01DEMOACMEHIST0000000000002", "CW-0902", "change-request", "New export column", [480]),
]


def seed(*, imported: bool = True) -> None:
    """The contracts; with `imported`, also the previous helpdesk's history (closed tickets with their time, and
    Globex's ticket count) that puts both near their limits."""
    today = contracts.today_for("acme")
    start = contracts.period_of("month", today).start
    base = {"rate_per_hour": "85.00", "currency": "EUR", "renewal": "auto", "billing_day": 5}
    contracts.save_contract(
        _system(),
        "acme",
        {**base, "period": "month", "hours_per_period": 20.0, "questions_per_user_per_day": 20,
         "services": [], "start_date": "2026-01-01"},
    )  # fmt: skip
    contracts.save_contract(
        _system(),
        "globex",
        {**base, "rate_per_hour": "120.00", "period": "quarter", "tickets_per_period": 100,
         "services": ["functionality-question", "document-request", "licence-key"], "start_date": "2026-01-01"},
    )  # fmt: skip
    if imported:
        _import_history(start, today)
    for org in ("acme", "globex"):
        contract = contracts.get_contract(org)
        period = contracts.period_of(contract.period, contracts.today_for(org))
        usage.check_thresholds(contract, period, usage.usage(contract, period))


def _import_history(start: date, today: date) -> None:
    now = clock.now_iso()
    for ticket_id, reference, service, subject, minutes_list in HISTORY:
        Ticket(
            ticket_items.ticket_pk(ticket_id),
            ticket_items.TICKET_SK,
            ticket_id=ticket_id,
            reference=reference,
            organisation_id="acme",
            requester_sub="cust-bob",
            service=service,
            subject=subject,
            description="Imported from the previous helpdesk.",
            status=Status.CLOSED.value,
            channel="import",
            created_at=clock.iso(clock.now() - timedelta(days=40)),
            updated_at=now,
        ).save()
        for n, minutes in enumerate(minutes_list):
            entry_id = f"{ticket_id[-6:]}DEMO{n}"
            day = max(start, today - timedelta(days=n)).isoformat()
            TimeEntry(
                ticket_items.ticket_pk(ticket_id),
                f"TIME#{entry_id}",
                entry_id=entry_id,
                ticket_id=ticket_id,
                reference=reference,
                organisation_id="acme",
                service=service,
                agent_sub="agent-dev",
                minutes=minutes,
                billable=True,
                work_date=day,
                note="Demo time",
                created_at=now,
                gsi1pk="TIMEBY#agent-dev",
                gsi1sk=f"{day}#{entry_id}",
                gsi2pk="TIMEORG#acme",
                gsi2sk=f"{day}#{entry_id}",
            ).save()
    globex_period = contracts.period_of("quarter", contracts.today_for("globex"))
    store_usage = money_keys.contract_pk("globex")
    contracts.add_counter(store_usage, f"USAGE#{globex_period.key}#functionality-question", 82)


def _system() -> Caller:
    return Caller.system()
