"""Calendars and support plans as data (issue 12, R17, R18): managers create and edit them through the API, every
edit is a version (all kept, the current one pointed to), bad input is one 422 naming each bad field, and what the
API accepts is exactly what the route worker's clocks can run on."""

from __future__ import annotations

import copy
from datetime import date

import holidays
import pytest

from shared.clocks import plans as clock_plans
from shared.directory import plan_terms
from shared.directory import plans as stored
from shared.sla.plans import DEFAULT_PLAN, VIP_PLAN, SupportPlan
from tests.conftest import BOB, LENA, MARIA, VERA

PRAGUE = clock_plans.calendar_body_of(DEFAULT_PLAN.calendar, "Prague office")
STANDARD = clock_plans.plan_body_of(DEFAULT_PLAN, "office", "Standard")
BERLIN = {
    "title": "Berlin office with a lunch break",
    "timezone": "Europe/Berlin",
    "hours": {day: [["08:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": {"country": "DE", "subdivision": "BY", "dates": ["2026-12-24"]},
}


def _problems(reply) -> dict[str, str]:
    assert reply.status == 422, reply.text
    assert reply.content_type.startswith("application/problem+json")
    return {e["field"]: e["message"] for e in reply.json["errors"]}


# --- pure: what the API checks is what the clocks read ----------------------------------------------------------


def test_the_holiday_regions_the_api_knows_are_the_holidays_package_ones():
    supported = holidays.list_supported_countries()
    assert plan_terms.holiday_regions() == {country: sorted(subs) for country, subs in supported.items()}


@pytest.mark.parametrize("plan", [DEFAULT_PLAN, VIP_PLAN], ids=["default", "vip"])
def test_the_built_in_plans_pass_the_apis_check_unchanged_and_read_back_equal(plan: SupportPlan):
    body = clock_plans.plan_body_of(plan, "office", "x")
    checked, problems = plan_terms.check_plan(body)
    assert problems == []
    assert checked == body
    calendar, calendar_problems = plan_terms.check_calendar(PRAGUE)
    assert calendar_problems == []
    bodies = {("plan", plan.name): checked, ("calendar", "office"): calendar}
    assert clock_plans.plan_from(plan.name, None, lambda kind, terms_id: bodies.get((kind, terms_id))) == plan


def test_a_calendar_with_breaks_and_regional_holidays_is_read_by_the_clocks_as_checked():
    checked, problems = plan_terms.check_calendar(BERLIN)
    assert problems == []
    calendar = clock_plans.calendar_from("berlin", lambda kind, terms_id: checked)
    assert calendar.hours[0] == ((8 * 60, 12 * 60), (13 * 60, 17 * 60))
    assert (calendar.country, calendar.subdivision) == ("DE", "BY")
    assert calendar.is_holiday(date(2026, 1, 6))  # Epiphany: a holiday in Bavaria, not in all of Germany
    assert calendar.is_holiday(date(2026, 12, 24))


# --- the API -----------------------------------------------------------------------------------------------------


def test_the_demo_desk_starts_with_todays_plans_as_first_versions(api):
    calendars = api("GET", "/sla/calendars", user=LENA).json["items"]
    assert [(c["id"], c["version"], c["timezone"]) for c in calendars] == [("office", 1, "Europe/Prague")]
    plans = {p["id"]: p for p in api("GET", "/sla/plans", user=LENA).json["items"]}
    assert set(plans) == {"default", "vip"}
    assert plans["vip"]["targets"]["*"]["critical_bug"]["reaction"] == {"promise": "PT15M", "internal": "PT5M"}
    assert plans["default"]["calendar_id"] == "office"


def test_a_manager_creates_and_edits_a_calendar_and_every_version_is_kept(api):
    created = api("PUT", "/sla/calendars/berlin", user=MARIA, body=BERLIN)
    assert created.status == 201, created.text
    assert (created.json["version"], created.json["changed"]) == (1, True)

    later = copy.deepcopy(BERLIN)
    later["hours"]["sat"] = [["09:00", "12:00"]]
    edited = api("PUT", "/sla/calendars/berlin", user=MARIA, body=later)
    assert (edited.status, edited.json["version"], edited.json["changed"]) == (200, 2, True)

    again = api("PUT", "/sla/calendars/berlin", user=MARIA, body=later)  # the same body: nothing new
    assert (again.status, again.json["version"], again.json["changed"]) == (200, 2, False)

    current = api("GET", "/sla/calendars/berlin", user=LENA).json
    assert current["version"] == 2
    assert current["hours"]["sat"] == [["09:00", "12:00"]]
    versions = api("GET", "/sla/calendars/berlin/versions", user=LENA).json["items"]
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["hours"]["sat"] == [] and versions[1]["hours"]["sat"] == [["09:00", "12:00"]]
    assert {v["saved_by"] for v in versions} == {"manager-maria"}


def test_a_plan_needs_an_existing_calendar_and_internal_targets_shorter_than_promises(api):
    body = copy.deepcopy(STANDARD)
    body["calendar_id"] = "nowhere"
    body["targets"]["*"]["bug"]["reaction"] = {"promise": "PT2H", "internal": "PT2H"}
    body["targets"]["*"]["question"]["resolution"] = {"promise": "PT16H", "internal": "PT20H"}
    body["targets"]["*"]["critical_bug"]["reaction"]["promise"] = "P1D"
    reply = api("PUT", "/sla/plans/gold", user=MARIA, body=body)
    problems = _problems(reply)
    assert problems["calendar_id"] == "no calendar nowhere; create it first"
    assert problems["targets.*.bug.reaction.internal"] == (
        "the internal target PT2H must be shorter than the promise PT2H (R18: about a third of it, e.g. PT40M)"
    )
    assert "shorter than the promise PT16H" in problems["targets.*.question.resolution.internal"]
    assert "give hours instead" in problems["targets.*.critical_bug.reaction.promise"]
    assert reply.json["detail"].startswith("The plan gold is not valid: ")
    assert api("GET", "/sla/plans/gold", user=LENA).status == 404  # nothing stored


def test_a_calendar_with_overlapping_hours_and_unknown_places_is_refused_with_each_field(api):
    body = {
        "timezone": "Europe/Pargue",
        "hours": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]], "tue": [["17:00", "09:00"]], "fun": []},
        "holidays": {"country": "CZ", "subdivision": "XX", "dates": ["2026-02-30"]},
    }
    problems = _problems(api("PUT", "/sla/calendars/bad", user=MARIA, body=body))
    assert problems["timezone"] == "an IANA time zone such as Europe/Prague"
    assert problems["hours.mon"] == "09:00-13:00 and 12:00-17:00 overlap"
    assert problems["hours.tue.0"] == "17:00-09:00 ends before it starts"
    assert problems["hours.fun"].startswith("not a weekday")
    assert problems["holidays.subdivision"].startswith("'XX' is not a subdivision of CZ")
    assert problems["holidays.dates.0"] == "'2026-02-30' is not a date YYYY-MM-DD"
    unknown = _problems(api("PUT", "/sla/calendars/bad", user=MARIA, body={**BERLIN, "holidays": {"country": "XX"}}))
    assert unknown == {
        "holidays.country": "'XX' is not a country the holidays calendar knows (ISO 3166-1 alpha-2, e.g. CZ)"
    }


def test_a_plan_must_cover_every_classification_for_any_service(api):
    body = copy.deepcopy(STANDARD)
    del body["targets"]["*"]["improvement"], body["targets"]["*"]["unclassified"]
    body["targets"]["*"]["feature"] = body["targets"]["*"]["bug"]
    problems = _problems(api("PUT", "/sla/plans/gold", user=MARIA, body=body))
    assert problems["targets.*"] == (
        "every classification needs targets for any service; missing: unclassified, improvement"
    )
    assert problems["targets.*.feature"].startswith("not a classification")


@pytest.mark.parametrize("user", [BOB, VERA, LENA])
def test_only_managers_change_plans_and_calendars_before_anything_is_checked(api, user):
    for path in ("/sla/plans/gold", "/sla/calendars/office"):
        reply = api("PUT", path, user=user, body={"nonsense": True})
        assert reply.status == 403, reply.text
        assert reply.json["detail"].startswith(f"PUT {path.rsplit('/', 1)[0]}/"), reply.json  # the route says
        assert "is for managers; you are signed in as" in reply.json["detail"]


def test_customers_do_not_read_plans(api):
    assert api("GET", "/sla/plans", user=BOB).status == 403
    assert api("GET", "/sla/calendars/office/versions", user=VERA).status == 403


def test_an_organisation_runs_on_its_assigned_plan_and_calendar_else_on_the_vip_rule(api):
    assert stored.terms_of_organisation("acme") == ("default", None)
    assert stored.terms_of_organisation("globex") == ("vip", None)  # importance vip, nothing assigned
    assert api("PUT", "/sla/calendars/berlin", user=MARIA, body=BERLIN).status == 201
    organisation = api("GET", "/organisations/acme", user=MARIA).json
    organisation.update(plan="vip", calendar="berlin")
    settings = {k: organisation[k] for k in ("name", "email_domains", "importance", "plan", "calendar")}
    assert api("PUT", "/organisations/acme", user=MARIA, body=settings).status == 200, "the organisations API"
    assert stored.terms_of_organisation("acme") == ("vip", "berlin")
    clock_plans.new_invocation()
    plan = clock_plans.plan_of_organisation("acme")
    assert plan.name == "vip"
    assert plan.calendar.timezone == "Europe/Berlin"
    assert plan.targets == VIP_PLAN.targets
