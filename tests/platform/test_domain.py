"""Pure rules: statuses, ball side, references, identity, intake validation."""

import pytest

from shared.directory import services as catalog
from shared.platform.domain import (
    BALL_SIDE,
    TRANSITIONS,
    BallSide,
    Role,
    Status,
    check_transition,
    parse_reference,
    reference_for,
    status_after_message,
)
from shared.platform.errors import Conflict, Forbidden, Unauthorized, Unprocessable
from shared.platform.identity import Caller, parse_groups


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("target", list(Status))
def test_every_transition_is_either_allowed_or_a_conflict_naming_what_is_allowed(current, target):
    if target in TRANSITIONS[current]:
        check_transition("CW-1001", current, target)
    else:
        with pytest.raises(Conflict) as error:
            check_transition("CW-1001", current, target)
        assert error.value.extra["allowed"] == sorted(s.value for s in TRANSITIONS[current])
        assert "CW-1001" in error.value.detail and current.value in error.value.detail


def test_closed_is_final_and_resolved_can_reopen():
    assert TRANSITIONS[Status.CLOSED] == frozenset()
    assert Status.IN_PROGRESS in TRANSITIONS[Status.RESOLVED]
    assert Status.NEW not in TRANSITIONS[Status.IN_PROGRESS]  # never back to unsubmitted


def test_every_status_has_a_ball_side_and_only_closed_has_none():
    assert set(BALL_SIDE) == set(Status)
    assert [s for s, side in BALL_SIDE.items() if side is None] == [Status.CLOSED]
    assert BALL_SIDE[Status.WAITING_FOR_CUSTOMER] == BallSide.CUSTOMER
    assert BALL_SIDE[Status.NEW] == BallSide.US


def test_customer_reply_to_a_resolved_ticket_reopens_it():
    assert status_after_message(Status.RESOLVED, from_customer=True, internal=False) == Status.IN_PROGRESS
    assert status_after_message(Status.WAITING_FOR_CUSTOMER, from_customer=True, internal=False) == Status.IN_PROGRESS


def test_staff_public_reply_puts_the_ball_on_the_customer_and_internal_notes_change_nothing():
    assert status_after_message(Status.IN_PROGRESS, from_customer=False, internal=False) == Status.WAITING_FOR_CUSTOMER
    assert status_after_message(Status.NEW, from_customer=False, internal=False) == Status.WAITING_FOR_CUSTOMER
    assert status_after_message(Status.IN_PROGRESS, from_customer=False, internal=True) == Status.IN_PROGRESS


def test_every_status_change_after_a_message_is_a_legal_transition():
    for status in Status:
        for from_customer in (True, False):
            for internal in (True, False):
                target = status_after_message(status, from_customer=from_customer, internal=internal)
                assert target == status or target in TRANSITIONS[status]


def test_references_are_short_and_round_trip():
    assert reference_for(1) == "CW-1001"
    assert reference_for(42) == "CW-1042"
    assert parse_reference("cw-1042") == 42
    for bad in ("CW-1000", "XX-1001", "CW-", "1042"):
        with pytest.raises(ValueError):
            parse_reference(bad)
    with pytest.raises(ValueError):
        reference_for(0)


def test_groups_claim_is_read_as_list_and_as_http_api_flattened_string():
    assert parse_groups(["agent", "L1"]) == {"agent", "L1"}
    assert parse_groups("[customer org_admin]") == {"customer", "org_admin"}
    assert parse_groups(None) == frozenset()


def test_caller_role_is_the_highest_group_and_customers_need_an_organisation():
    manager = Caller.from_claims({"sub": "m", "cognito:groups": "[agent manager]"})
    assert manager.role == Role.MANAGER and manager.is_staff
    admin = Caller.from_claims({"sub": "a", "cognito:groups": ["customer", "org_admin"], "custom:org_id": "acme"})
    assert admin.is_org_admin and not admin.is_staff
    with pytest.raises(Forbidden):
        Caller.from_claims({"sub": "c", "cognito:groups": ["customer"]})
    with pytest.raises(Forbidden):
        Caller.from_claims({"sub": "x", "cognito:groups": ["guests"]})
    with pytest.raises(Unauthorized):
        Caller.from_claims(None)


def test_org_admin_group_does_not_make_staff_an_org_admin():
    agent = Caller.from_claims({"sub": "a", "cognito:groups": ["agent", "org_admin"]})
    assert not agent.is_org_admin


FIELDS = catalog.DEFAULT_SERVICES[0]["intake_fields"]


def test_intake_answers_of_a_draft_may_be_incomplete_but_not_a_submitted_ticket():
    assert catalog.validate_answers(FIELDS, {"problem": "x"}, complete=False) == {"problem": "x"}
    with pytest.raises(Unprocessable) as error:
        catalog.validate_answers(FIELDS, {"problem": "x"}, complete=True)
    assert [e["field"] for e in error.value.extra["errors"]] == ["fields.contact"]


def test_intake_answers_are_checked_by_type_and_unknown_questions_are_named():
    with pytest.raises(Unprocessable) as error:
        catalog.validate_answers(
            FIELDS,
            {"problem": "x", "contact": "y", "priority": "panic", "reachable_in_an_hour": "yes", "shoe_size": 43},
            complete=True,
        )
    fields = {e["field"] for e in error.value.extra["errors"]}
    assert fields == {"fields.priority", "fields.reachable_in_an_hour", "fields.shoe_size"}


def test_every_default_service_asks_only_questions_from_the_bank_and_names_a_route():
    for service in catalog.DEFAULT_SERVICES:
        assert service["route"]
        assert any(f["required"] for f in service["intake_fields"])
        assert {f["key"] for f in service["intake_fields"]} <= set(catalog.QUESTION_BANK)
