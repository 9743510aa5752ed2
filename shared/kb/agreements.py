"""The mandatory articles of R29, as data: the texts every deployment starts with.

The service agreement of each support plan is generated from the plan itself (shared/sla.py): office
hours, holidays, and the reaction and resolution promises per classification. Re-seeding after a plan
changes writes a new version of the agreement, so the text customers read stays what the clocks do.
The internal targets (R18) are for staff only: they go into a staff article, never into an agreement.

Imports shared.sla (and with it the holidays package), so only the seeding path loads this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared.clocks import plans as clock_plans
from shared.sla.plans import CLASSIFICATIONS, UNCLASSIFIED, SupportPlan

PLAN_TITLES = {"default": "Standard", "vip": "VIP"}
CLASS_LABELS = {
    UNCLASSIFIED: "Any request, until we have classified it",
    "question": "Question",
    "bug": "Bug",
    "critical_bug": "Critical bug (work is stopped)",
    "improvement": "Improvement proposal",
}
DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}


@dataclass(frozen=True)
class ArticleSpec:
    slug: str
    title: str
    body: str
    audience: str
    tags: tuple[str, ...] = ()
    service: str | None = None
    plan: str | None = None
    generated: str | None = None  # what the text is derived from; such articles are not edited by hand
    mandatory: bool = True


def human_duration(duration: timedelta) -> str:
    """PT1H20M -> '1 h 20 min' (working time)."""
    minutes = int(duration.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{minutes} min"] if minutes else [])
    return " ".join(parts) or "0 min"


def office_hours(plan: SupportPlan) -> str:
    calendar = plan.calendar.to_json()
    if calendar.get("always_open"):
        return "around the clock, every day of the year"
    groups: list[tuple[list[str], str]] = []
    for day, intervals in calendar["hours"].items():
        text = ", ".join(f"{start}-{end}" for start, end in intervals)
        if not text:
            continue
        if groups and groups[-1][1] == text:
            groups[-1][0].append(day)
        else:
            groups.append(([day], text))
    spans = []
    for days, text in groups:
        names = DAY_NAMES[days[0]] if len(days) == 1 else f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
        spans.append(f"{names} {text}")
    holidays = calendar.get("holidays") or {}
    closed = []
    if holidays.get("country"):
        region = holidays["country"] + (f"-{holidays['subdivision']}" if holidays.get("subdivision") else "")
        closed.append(f"public holidays in {region}")
    if holidays.get("dates"):
        closed.append(", ".join(holidays["dates"]))
    closing = f", except {' and '.join(closed)}" if closed else ""
    return f"{'; '.join(spans)} ({calendar['timezone']} time){closing}"


def _targets_rows(plan: SupportPlan, *, internal: bool) -> list[str]:
    rows = []
    for classification in (UNCLASSIFIED, *CLASSIFICATIONS):
        try:
            targets = plan.targets_for("*", classification)
        except KeyError:
            continue
        pick = (lambda t: t.internal) if internal else (lambda t: t.promise)
        reaction = human_duration(pick(targets.reaction))
        open_ended = "none: estimated per proposal" if internal else "agreed with you case by case"
        resolution = human_duration(pick(targets.resolution)) if targets.resolution else open_ended
        if classification == UNCLASSIFIED:
            resolution = "per classification, below"
        rows.append(f"| {CLASS_LABELS.get(classification, classification)} | {reaction} | {resolution} |")
    return rows


def agreement(plan: SupportPlan) -> ArticleSpec:
    name = PLAN_TITLES.get(plan.name, plan.name)
    service_specific = sorted(k for k in plan.targets if k != "*")
    extra = (
        "\n\nSome services have their own times: " + ", ".join(f"`{s}`" for s in service_specific) + "."
        if service_specific
        else ""
    )
    body = f"""# Service agreement: {name} plan

This is what we promise every organisation on the **{name}** support plan. The times below are
counted in **working time**: {office_hours(plan)}. A request that arrives outside these hours is
accepted at once and its clocks start when we open.

## Our promises

| Request | We react within | We resolve within |
|---|---|---|
{chr(10).join(_targets_rows(plan, internal=False))}

*Reaction* means a person from support answers you: a reply, a classification of your request, or
its resolution. *Resolution* counts from when you submitted the request. While we wait for your
answer, the resolution clock pauses; it runs again as soon as you reply.{extra}

## When we wait for you

- If we asked you something and have not heard back within {human_duration(plan.reminder_after)} of working
  time, we remind you once.
- A resolved request you do not answer closes by itself after {plan.auto_close_after_days} working days.
  If the solution does not work, just reply in the ticket: it reopens.

## How we classify

A question is answered; a bug is reproduced and fixed; a critical bug (your work is stopped) goes
straight to our specialists; an improvement proposal is estimated and needs your approval before we
start, so it has no fixed resolution time.

*This text is generated from the plan the desk's clocks use; it changes only when the plan does.*
"""
    return ArticleSpec(
        slug=f"service-agreement-{plan.name}",
        title=f"Service agreement: {name} plan",
        body=body,
        audience="customers",
        tags=("agreement", "sla", plan.name),
        plan=plan.name,
        generated=f"sla-plan:{plan.name}",
    )


def internal_targets(plans: list[SupportPlan]) -> ArticleSpec:
    sections = []
    for plan in plans:
        name = PLAN_TITLES.get(plan.name, plan.name)
        sections.append(
            f"## {name} plan\n\n| Request | React by (internal) | Resolve by (internal) |\n|---|---|---|\n"
            + "\n".join(_targets_rows(plan, internal=True))
        )
    body = (
        "# Internal targets per plan\n\n"
        "We work to internal targets of about a third of what the agreement promises (R18). The route "
        "warns the ticket's owner at the internal target and records a breach at the promise. Customers "
        "see only the promises (the service agreement articles).\n\n" + "\n\n".join(sections) + "\n\n"
        "*Generated from the plans the desk's clocks use.*\n"
    )
    return ArticleSpec(
        slug="internal-targets",
        title="Internal targets per plan",
        body=body,
        audience="staff",
        tags=("sla", "targets"),
        generated="sla-plans",
    )


HOW_TO_WORK_WITH_SUPPORT = ArticleSpec(
    slug="how-to-work-with-support",
    title="How to work with support",
    audience="customers",
    tags=("getting-started", "tickets"),
    body="""# How to work with support

**One problem, one ticket.** Open a ticket for each separate problem; we can then solve and report
each on its own. You can keep a draft and submit it when it is complete.

## Opening a ticket

1. Choose the service that fits (question, document request, licence key, change request).
2. Answer the intake questions: what happens, since when, who is affected, how we can reach you.
   Good answers save a round of questions.
3. Submit. You get the reference (for example `CW-1042`) and the time by which we react.

## While we work on it

- You can write into the ticket at any time; your message goes straight to the person working on it.
- The ticket always says whose turn it is: ours, or yours when we asked you something.
- You get an e-mail when we answer, when we need something from you, and when it is resolved.

## When it is resolved

Check the solution. If it does not work, reply in the ticket and it reopens. If you are happy,
close it and tell us how we did: your rating helps us improve.

See the service agreement of your plan for the times we promise.
""",
)

HOW_TO_WORK_WITH_CUSTOMERS = ArticleSpec(
    slug="how-to-work-with-customers",
    title="How to work with customers",
    audience="staff",
    tags=("internal-rules", "getting-started"),
    body="""# How to work with customers

Internal rules of the desk. Customers do not see this article.

## The ticket is the customer's, the tasks are ours

- Everything the customer should know goes into the ticket as a public message; everything else is
  an internal note or a task. Never paste internal notes into a public reply.
- The first of us to take a task owns the ticket until it is resolved (R14). The owner keeps the
  customer informed even while another line works on a task.

## Answer on time, in the customer's words

- React before the internal target: it is about a third of the promise in the agreement.
- Say what happens next and by when. If you need something from the customer, ask precisely; the
  clock pauses while the ball is on their side.
- Be polite and empathetic: satisfaction is more than meeting the deadline.

## Resolving

- Write how it was solved and what prevents it from happening again; both are required (R16).
- Link the knowledge base articles that helped (customer articles are shown to the customer).
- If the answer belongs in the knowledge base, tick "knowledge base task" when resolving: a task to
  write or update an article lands in your group's queue.
""",
)


def mandatory_articles(plans: list[SupportPlan] | None = None) -> list[ArticleSpec]:
    """R29: what every deployment must have: how to work with support, how to work with customers, and
    the agreement of every plan as stored now, or of `plans` (plus the staff view of the internal targets)."""
    plans = clock_plans.current_plans() if plans is None else plans
    return [
        HOW_TO_WORK_WITH_SUPPORT,
        HOW_TO_WORK_WITH_CUSTOMERS,
        *(agreement(plan) for plan in plans),
        internal_targets(plans),
    ]
