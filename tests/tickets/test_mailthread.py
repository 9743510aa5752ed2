"""E-mail threads: signed reply addresses and remembered Message-IDs."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from shared.platform import aws, config
from shared.tickets import mailthread


@pytest.fixture(autouse=True)
def local_reply_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests sign with the process's own key (CASEWAY_REPLY_SECRET), never a secret of an emulated stage that
    another test in this process provisioned (its ARN would stay in the environment)."""
    monkeypatch.delenv(config.REPLY_SECRET_ARN, raising=False)
    aws.reset()


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


def test_the_reply_address_and_the_thread_root_are_signed_for_different_purposes() -> None:
    """The thread root travels in the References of every reply and forward: turned into a reply address (its local
    part swapped), it must name no ticket, nor the other way round."""
    root = mailthread.thread_id("CW-1042").strip("<>")
    assert mailthread.reference_of_thread_id(root) == "CW-1042"
    as_address = root.replace(f"{mailthread.THREAD_LOCAL_PART}+", f"{mailthread.LOCAL_PART}+", 1)
    assert mailthread.reference_of_reply_address(as_address) is None
    address = mailthread.reply_address("CW-1042")
    as_root = address.replace(f"{mailthread.LOCAL_PART}+", f"{mailthread.THREAD_LOCAL_PART}+", 1)
    assert mailthread.reference_of_thread_id(as_root) is None


def test_addresses_name_the_key_that_signed_them(monkeypatch: pytest.MonkeyPatch) -> None:
    assert mailthread.reply_address("CW-7").startswith("support+CW-7.1.")  # one key: its id is "1"
    monkeypatch.setenv("CASEWAY_REPLY_SECRET", '{"current": "k2", "1": "old key", "k2": "new key"}')
    assert mailthread.reply_address("CW-7").startswith("support+CW-7.k2.")
    assert mailthread.thread_id("CW-7").startswith("<ticket+CW-7.k2.")


def test_during_a_rotation_both_keys_are_valid_and_removing_the_old_one_retires_its_addresses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CASEWAY_REPLY_SECRET", "old key")
    old_address, old_root = mailthread.reply_address("CW-7"), mailthread.thread_id("CW-7")

    monkeypatch.setenv("CASEWAY_REPLY_SECRET", '{"current": "2", "1": "old key", "2": "new key"}')
    new_address = mailthread.reply_address("CW-7")
    assert new_address != old_address
    for address in (old_address, new_address):
        assert mailthread.reference_of_reply_address(address) == "CW-7"
    assert mailthread.reference_of_thread_id(old_root) == "CW-7"

    monkeypatch.setenv("CASEWAY_REPLY_SECRET", '{"current": "2", "2": "new key"}')
    assert mailthread.reference_of_reply_address(old_address) is None
    assert mailthread.reference_of_thread_id(old_root) is None
    assert mailthread.reference_of_reply_address(new_address) == "CW-7"


def test_an_address_naming_an_unknown_key_names_no_ticket(monkeypatch: pytest.MonkeyPatch) -> None:
    address = mailthread.reply_address("CW-7")
    assert mailthread.reference_of_reply_address(address.replace("CW-7.1.", "CW-7.9.")) is None


def test_addresses_sent_before_key_ids_are_still_read_with_key_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Notifications already in customers' mailboxes carry `support+CW-7.<signature>@` (the reference alone signed):
    their replies still land while key "1" is kept."""
    legacy = hmac.new(b"local-reply-secret", b"CW-7", hashlib.sha256).hexdigest()[:16]
    assert mailthread.reference_of_reply_address(f"support+CW-7.{legacy}@caseway.example") == "CW-7"
    assert mailthread.reference_of_thread_id(f"<ticket+CW-7.{legacy}@caseway.example>") == "CW-7"
    monkeypatch.setenv("CASEWAY_REPLY_SECRET", '{"current": "2", "2": "new key"}')
    assert mailthread.reference_of_reply_address(f"support+CW-7.{legacy}@caseway.example") is None


def test_a_key_ring_without_its_current_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASEWAY_REPLY_SECRET", '{"current": "3", "2": "new key"}')
    with pytest.raises(ValueError, match="current"):
        mailthread.reply_address("CW-7")
