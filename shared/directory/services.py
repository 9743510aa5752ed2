"""The service catalog (R5) and the intake question bank (R3, seed 000).

Services are data: the defaults below are seeded into a deployment; each names its route (a state
machine file in statemachines/) and which fields of the question bank its intake form asks.
"""

from __future__ import annotations

from typing import Any

from shared.platform.errors import Unprocessable

# R3: the question bank of seed 000. Each service picks fields from it and says which are required.
QUESTION_BANK: dict[str, dict[str, Any]] = {
    "reporter_name": {"label": "Who is reporting the problem?", "type": "text"},
    "reporter_position": {"label": "Your position in the company", "type": "text"},
    "problem": {"label": "What is the problem? Describe it", "type": "textarea"},
    "suspected_cause": {"label": "Why do you think it happened?", "type": "textarea"},
    "started_at": {"label": "When did it start?", "type": "text"},
    "earlier_occurrences": {"label": "Has it happened before?", "type": "text"},
    "priority": {
        "label": "How urgent is it for you?",
        "type": "select",
        "options": ["low", "normal", "high"],
    },
    "impact": {"label": "What is the impact (who and what is affected)?", "type": "textarea"},
    "already_asked": {"label": "Has anyone already been asked to solve it?", "type": "text"},
    "occurs_when": {"label": "From when to when does it occur?", "type": "text"},
    "reachable_in_an_hour": {"label": "Will you be reachable in an hour?", "type": "boolean"},
    "steps_to_reproduce": {"label": "How can the problem be reproduced?", "type": "textarea"},
    "other_contacts": {"label": "Whom else can we ask for more information?", "type": "text"},
    "contact": {"label": "How can we reach you (phone, email)?", "type": "text"},
    "document_type": {"label": "Which document do you need?", "type": "text"},
    "licence_product": {"label": "Product the licence key is for", "type": "text"},
    "licence_seats": {"label": "Number of seats", "type": "number"},
    "change_description": {"label": "What should change, and why?", "type": "textarea"},
    "wanted_by": {"label": "By when do you need it?", "type": "text"},
}


# The routes the code knows (one statemachines/<route>.asl.json each, steps in functions/route_tasks.py); a service
# names one of them. tests/catalog/test_catalog_api.py checks this list against the files.
KNOWN_ROUTES: tuple[str, ...] = ("change-request", "document-request", "licence-key", "support")


def _fields(required: list[str], optional: list[str]) -> list[dict[str, Any]]:
    return [{"key": k, **QUESTION_BANK[k], "required": True} for k in required] + [
        {"key": k, **QUESTION_BANK[k], "required": False} for k in optional
    ]


DEFAULT_SERVICES: list[dict[str, Any]] = [
    {
        "key": "functionality-question",
        "title": "Question about functionality",
        "description": "Something does not work as you expect, or you do not know how to do something.",
        "route": "support",
        "groups": ["L1", "L2"],
        "intake_fields": _fields(
            ["problem", "contact"],
            [
                "reporter_name",
                "reporter_position",
                "suspected_cause",
                "started_at",
                "earlier_occurrences",
                "priority",
                "impact",
                "already_asked",
                "occurs_when",
                "reachable_in_an_hour",
                "steps_to_reproduce",
                "other_contacts",
            ],
        ),
    },
    {
        "key": "document-request",
        "title": "Document request",
        "description": "You need a document from us: an invoice copy, a certificate, a statement.",
        "route": "document-request",
        "deadline_working_days": 3,
        "groups": ["office"],
        "intake_fields": _fields(["document_type"], ["wanted_by", "contact"]),
    },
    {
        "key": "licence-key",
        "title": "Licence key request",
        "description": "You need a new licence key for one of our products.",
        "route": "licence-key",
        "groups": ["L1"],
        "intake_fields": _fields(["licence_product"], ["licence_seats"]),
    },
    {
        "key": "change-request",
        "title": "Change request",
        "description": "You want something changed or added; we estimate it and you approve before we start.",
        "route": "change-request",
        "deadline_working_days": 5,
        "groups": ["L1", "L2"],
        "intake_fields": _fields(["change_description"], ["wanted_by", "impact", "contact"]),
    },
]


def validate_answers(fields: list[dict[str, Any]], answers: dict[str, Any], *, complete: bool) -> dict[str, Any]:
    """Check intake answers against a service's form. Drafts may be incomplete (R2); a submitted
    ticket must answer every required field. Raises 422 naming every offending field."""
    by_key = {f["key"]: f for f in fields}
    problems: list[dict[str, str]] = []
    cleaned: dict[str, Any] = {}
    for key, value in answers.items():
        spec = by_key.get(key)
        if spec is None:
            problems.append({"field": f"fields.{key}", "message": "this service does not ask this question"})
            continue
        kind = spec.get("type", "text")
        if value is None or value == "":
            continue
        if kind == "boolean" and not isinstance(value, bool):
            problems.append({"field": f"fields.{key}", "message": "must be true or false"})
        elif kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
            problems.append({"field": f"fields.{key}", "message": "must be a number"})
        elif kind == "select" and value not in spec.get("options", []):
            problems.append({"field": f"fields.{key}", "message": f"must be one of {spec['options']}"})
        elif kind in ("text", "textarea") and (not isinstance(value, str) or len(value) > 5000):
            problems.append({"field": f"fields.{key}", "message": "must be text of at most 5000 characters"})
        else:
            cleaned[key] = value
    if complete:
        for spec in fields:
            if spec.get("required") and cleaned.get(spec["key"]) in (None, ""):
                problems.append({"field": f"fields.{spec['key']}", "message": f"required: {spec['label']}"})
    if problems:
        raise Unprocessable("Some intake answers are missing or invalid.", errors=problems)
    return cleaned
