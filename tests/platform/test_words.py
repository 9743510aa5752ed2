"""The message files of what the desk writes to customers (shared/platform/words): every language says all that
English says with the same placeholders, a key a language lacks is said in English, a language is added by
dropping its file in, and the API's Lambda starts without babel."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.platform import words

SHIPPED = [language for language in words.languages() if language != words.ENGLISH]


def test_czech_is_shipped():
    assert words.languages()[:1] == ["en"]
    assert "cs" in SHIPPED


@pytest.mark.parametrize("language", SHIPPED)
def test_every_english_key_is_translated_with_the_same_placeholders(language):
    english, other = words.messages("en"), words.messages(language)
    assert sorted(set(english) - set(other)) == [], f"{language}.json lacks these keys"
    assert sorted(set(other) - set(english)) == [], f"{language}.json has keys English does not"
    wrong = {
        key: (sorted(words.placeholders(text)), sorted(words.placeholders(other[key])))
        for key, text in english.items()
        if words.placeholders(text) != words.placeholders(other[key])
    }
    assert wrong == {}, f"placeholders differ (en, {language})"


@pytest.mark.parametrize("language", words.languages())
def test_every_message_fills_with_its_placeholders(language):
    for key, text in words.messages(language).items():
        values = {name: 3 for name in words.placeholders(text)}
        filled = words.say(language, key, **values)
        assert "{" not in filled, (key, filled)


def test_czech_plurals_follow_the_number():
    assert words.say("cs", "reason.no_reply_working_days", days=1) == "bez odpovědi do 1 pracovního dne"
    assert words.say("cs", "reason.no_reply_working_days", days=3) == "bez odpovědi do 3 pracovních dnů"
    assert words.say("cs", "offer.tickets", count=3) == "Vaše organizace vyčerpala všechny 3 požadavky tohoto období."
    assert words.say("cs", "offer.tickets", count=100) == "Vaše organizace vyčerpala všech 100 požadavků tohoto období."
    # English keeps its wording whatever the number
    assert words.say("en", "reason.no_reply_working_days", days=1) == "no reply within 1 working days"


def test_dates_are_in_the_language_and_the_zone_named():
    at = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert words.moment(at, "en", "Europe/Prague") == "Wednesday 02 December 2026, 09:00 (Europe/Prague)"
    assert words.moment(at, "cs", "Europe/Prague") == "středa 2. prosince 2026, 9:00 (Europe/Prague)"
    assert words.moment(at, "cs", "America/New_York") == "středa 2. prosince 2026, 3:00 (America/New_York)"


def test_a_missing_value_or_key_is_a_defect_not_a_silent_gap():
    with pytest.raises(words.MessageError):
        words.say("cs", "support.received")  # no {due}
    with pytest.raises(words.MessageError):
        words.say("cs", "no.such.key")


def test_tags_are_matched_to_the_files_and_unknown_ones_to_none():
    assert words.normalise("cs-CZ") == "cs"
    assert words.normalise("CS") == "cs"
    assert words.normalise("xx") is None
    assert words.normalise(None) is None


RUSSIAN = {
    "time.pattern": "EEEE d MMMM y, H:mm",
    "headline.received": "Запрос получен",
    "intake.received": "Мы получили ваш запрос {reference}; им займётся специалист.",
    "reason.no_reply_working_days": "нет ответа в течение {days, plural, one {# рабочего дня} other {# рабочих дней}}",
}


@pytest.fixture
def russian_dropped_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped message files plus a partial ru.json, as an operator would drop it in (no code changed)."""
    folder = tmp_path / "words"
    shutil.copytree(words.FOLDER, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (folder / "ru.json").write_text(json.dumps(RUSSIAN, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(words, "FOLDER", folder)
    words.forget()
    yield folder
    words.forget()


def test_a_dropped_in_language_is_spoken_and_what_it_lacks_is_said_in_english(russian_dropped_in):
    assert "ru" in words.languages()
    assert words.say("ru", "headline.received") == "Запрос получен"
    assert words.say("ru", "reason.no_reply_working_days", days=5) == "нет ответа в течение 5 рабочих дней"
    assert words.say("ru", "reason.no_reply_working_days", days=1) == "нет ответа в течение 1 рабочего дня"
    assert words.say("ru", "headline.closed") == "Closed"  # not in ru.json: English
    at = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert words.moment(at, "ru", "Europe/Prague") == "среда 2 декабря 2026, 9:00 (Europe/Prague)"


def test_a_russian_organisation_gets_the_dropped_in_messages_over_the_api(russian_dropped_in, api):
    from infra.local import emulation as aws_emulation
    from tests.conftest import BOB, MARIA, QUESTION

    acme = api("GET", "/organisations/acme", user=MARIA).json
    settings = {k: acme[k] for k in ("name", "email_domains", "importance")}
    changed = api("PUT", "/organisations/acme", user=MARIA, body={**settings, "language": "ru"})
    assert changed.status == 200, changed.text

    ticket = api("POST", "/tickets", user=BOB, body=QUESTION).json
    mail = next(m for m in aws_emulation.sent_emails() if m["to"] == [BOB] and ticket["reference"] in m["subject"])
    assert mail["subject"] == f"[{ticket['reference']}] Запрос получен: {QUESTION['subject']}"
    assert mail["body"].startswith(f"Мы получили ваш запрос {ticket['reference']}; им займётся специалист.\n\n")
    assert f"\nTicket {ticket['reference']}: " in mail["body"]  # mail.body is not in ru.json: English


def test_an_organisation_cannot_be_set_to_a_language_without_messages(api):
    from tests.conftest import MARIA
    from tests.tickets.test_authorization import assert_problem

    body = {"name": "Acme Manufacturing", "email_domains": ["acme.example"], "language": "pl"}
    problem = assert_problem(api("PUT", "/organisations/acme", user=MARIA, body=body), 422)
    language = next(e for e in problem["errors"] if e["field"] == "language")
    assert "'en'" in language["message"] and "'cs'" in language["message"], language


def test_the_api_starts_without_babel():
    code = "import sys, functions.api.app; print(sorted(m for m in sys.modules if m.split('.')[0] == 'babel'))"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
