"""E-mail threads: signed reply addresses and remembered Message-IDs."""

from __future__ import annotations

import pytest

from shared.tickets import mailthread


def test_reply_address_names_its_ticket_and_is_signed() -> None:
    address = mailthread.reply_address("CW-1042")
    assert address.startswith("support+CW-1042.") and address.endswith("@caseway.example")
    assert mailthread.reference_of_reply_address(address) == "CW-1042"
    assert mailthread.reference_of_reply_address(f"<{address.upper()}>") == "CW-1042"


@pytest.mark.parametrize(
    "forged",
    [
        "support+CW-1043.{sig}@caseway.example",  # another ticket, this ticket's signature
        "support+CW-1042.{bad}@caseway.example",  # altered signature
        "support+CW-1042@caseway.example",  # no signature
        "support@caseway.example",
        "not an address",
    ],
)
def test_forged_or_altered_reply_address_names_no_ticket(forged: str) -> None:
    sig = mailthread.signature("CW-1042")
    bad = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    assert mailthread.reference_of_reply_address(forged.format(sig=sig, bad=bad)) is None


def test_another_secret_signs_differently(monkeypatch: pytest.MonkeyPatch) -> None:
    address = mailthread.reply_address("CW-7")
    monkeypatch.setenv("CASEWAY_REPLY_SECRET", "another desk")
    assert mailthread.reference_of_reply_address(address) is None


def test_message_ids_find_the_newest_known_notification(emulated_aws: None) -> None:
    mailthread.remember_sent("<0100abc@eu-west-1.AMAZONSES.com>", "t-1", "CW-1", "2026-11-30T09:00:00Z")
    mailthread.remember_sent("0100def@eu-west-1.amazonses.com", "t-2", "CW-2", "2026-11-30T10:00:00Z")
    assert mailthread.ticket_of_message_ids(["<0100abc@eu-west-1.amazonses.com>"]) == "t-1"
    assert (
        mailthread.ticket_of_message_ids(["<0100abc@eu-west-1.amazonses.com>", "<0100def@EU-west-1.amazonses.com>"])
        == "t-2"
    )
    assert mailthread.ticket_of_message_ids(["<unknown@mail.example>"]) is None
    assert mailthread.ticket_of_message_ids([]) is None
