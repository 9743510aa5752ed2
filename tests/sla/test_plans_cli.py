"""`caseway sla explain` what-if with the calendars and plans stored on a stack (stored:ID), and the defaults the
setup step and the demo write as first versions, once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.cli import main
from shared.clocks import plans as clock_plans
from shared.directory import plans as stored
from shared.platform.identity import Caller
from shared.sla.plans import DEFAULT_PLAN
from tests.canned_http import CannedJson, serving

EVENTS = Path(__file__).parents[1] / "fixtures" / "sla_events.json"  # submitted Friday 13 March 2026, 16:50 Prague
SEVEN_DAYS = {
    "id": "seven-days",
    "version": 3,
    "timezone": "Europe/Prague",
    "always_open": False,
    "hours": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    "holidays": {"country": "CZ", "subdivision": None, "dates": []},
}
WEEKEND = {"id": "weekend", "version": 2, **clock_plans.plan_body_of(DEFAULT_PLAN, "seven-days", "Weekend")}


class StoredTerms(CannedJson):
    seen: list[str] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        authorised = self.headers.get("authorization") == "Bearer t0ken"
        if self.path.startswith("/local/token?user="):
            self.answer(200, {"token": "t0ken"})
        elif self.path == "/sla/plans/weekend" and authorised:
            self.answer(200, WEEKEND)
        elif self.path == "/sla/calendars/seven-days" and authorised:
            self.answer(200, SEVEN_DAYS)
        else:
            self.answer(404, {"title": "Not found", "status": 404, "detail": "No plan gold."})


@pytest.fixture
def stack_url() -> Iterator[str]:
    with serving(StoredTerms) as url:
        yield url


def explain(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["sla", "explain", "--events", str(EVENTS), "--service", "functionality-question", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_what_if_on_a_stored_plan_and_its_stored_calendar(capsys: pytest.CaptureFixture[str], stack_url: str):
    code, out, err = explain(
        capsys, "--plan", "stored:weekend", "--url", stack_url, "--at", "2026-03-17T12:00+01:00", "--json"
    )
    assert (code, err) == (0, "")
    assert StoredTerms.seen[1:] == [
        "/sla/plans/weekend",
        "/local/token?user=lena.l1%40caseway.example",
        "/sla/calendars/seven-days",
    ]
    data = json.loads(out)
    # 4 working hours from Friday 16:50: 10 minutes on Friday, then Saturday is a working day: 12:50 on Saturday
    assert (data["plan"], data["reaction"]["due"]) == ("weekend", "2026-03-14T12:50:00+01:00")
    assert data["reaction"]["breached"] is True  # the reply came on Monday


def test_what_if_on_a_stored_calendar_only(capsys: pytest.CaptureFixture[str], stack_url: str):
    code, out, _ = explain(
        capsys, "--calendar", "stored:seven-days", "--url", stack_url, "--at", "2026-03-17T12:00+01:00", "--json"
    )
    assert code == 0
    assert json.loads(out)["reaction"]["due"] == "2026-03-14T12:50:00+01:00"


def test_an_unknown_stored_plan_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], stack_url: str):
    code, out, err = explain(capsys, "--plan", "stored:gold", "--url", stack_url)
    assert (code, out) == (2, "")
    assert (
        err == f"caseway sla explain: error: cannot get the stored plan gold from {stack_url}: HTTP 404 No plan gold.\n"
    )


def test_the_defaults_are_written_once_and_a_managers_version_survives_a_rerun(emulated_aws):
    items = clock_plans.default_plans_and_calendars()
    assert sorted((type(i).__name__, i.terms_kind, i.terms_id, int(i.number)) for i in items) == [
        ("TermsCurrent", "calendar", "office", 1),
        ("TermsCurrent", "plan", "default", 1),
        ("TermsCurrent", "plan", "vip", 1),
        ("TermsVersion", "calendar", "office", 1),
        ("TermsVersion", "plan", "default", 1),
        ("TermsVersion", "plan", "vip", 1),
    ]
    assert clock_plans.write_defaults() == 6
    assert clock_plans.write_defaults() == 0  # nothing written twice
    # a manager's version 2 stays what it is when the defaults are written again
    body = clock_plans.plan_body_of(DEFAULT_PLAN, "office", "Standard, renamed")
    stored.save_terms(Caller.system(), "plan", "default", body)
    assert clock_plans.write_defaults() == 0
    current = stored.get_current("plan", "default")
    assert (int(current.number), current.body["title"]) == (2, "Standard, renamed")
    assert [int(v.number) for v in stored.list_versions("plan", "default")] == [1, 2]
