"""A ticket's customer as a reader: the language the desk writes to them in and the time zone their dates are
shown in. Per organisation (its `language` and `timezone`); a requester without an organisation of their own (the
web form's anonymous sender) is written to in the language their form was sent in, else English."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.directory import items as directory
from shared.directory import people
from shared.platform import words
from shared.platform.domain import DESK_TIMEZONE
from shared.platform.words import ENGLISH, Phrase
from shared.tickets.items import Ticket


@dataclass(frozen=True)
class Reader:
    language: str = ENGLISH
    zone: str | None = None  # the organisation's time zone; None: the plan calendar's, else the desk's

    def say(self, key: str, /, **values: object) -> str:
        return words.say(self.language, key, **values)

    def text(self, said: str | Phrase) -> str:
        """A phrase in the reader's language; text someone wrote as it is."""
        return said.text(self.language) if isinstance(said, Phrase) else said

    def time(self, at: datetime, zone: str | None = None) -> str:
        """An instant in the reader's language and time zone (`zone`: the one to use when the organisation names
        none, e.g. the ticket's plan calendar's), the zone named."""
        return words.moment(at, self.language, self.zone or zone or DESK_TIMEZONE)

    def status(self, status: str) -> str:
        return self.say(f"status.{status}")


ENGLISH_READER = Reader()


def reader_of(ticket: Ticket) -> Reader:
    """How the desk writes to the ticket's customer: their organisation's language and zone (kept per process for a
    minute, people.organisation_reader), the web form's language for a sender without one."""
    language, zone = people.organisation_reader(ticket.organisation_id)
    return Reader(language=words.normalise(ticket.language or language) or ENGLISH, zone=zone)


def reader_zone(ticket: Ticket) -> str:
    """The time zone the ticket's customer reads its dates in, on the pages as in the e-mails: their organisation's,
    else the desk's (the default plan's calendar is in the desk's zone). Kept per process for a minute
    (people.organisation_reader), so a ticket's page reads the ticket and its history alone."""
    return reader_of(ticket).zone or DESK_TIMEZONE


def form_language(organisation_id: str, tag: str | None) -> str | None:
    """The language a ticket keeps for itself: the web form's, for a sender without an organisation of their own
    (the organisation's language applies to everyone else)."""
    if organisation_id != directory.PUBLIC_ORGANISATION:
        return None
    return words.normalise(tag)
