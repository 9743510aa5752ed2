"""The sender trust of inbound e-mail (shared/channels/trust.py): SES's verdicts, its Authentication-Results and
DMARC's identifier alignment, computed from the From header's domain."""

from __future__ import annotations

import pytest

from shared.channels import trust
from shared.channels.trust import Evidence

GMAIL_RESULTS = (
    "amazonses.com; spf=pass (spfCheck: domain of _spf.google.com designates 209.85.218.42 as permitted sender) "
    "client-ip=209.85.218.42; envelope-from=ivan.petrov@gmail.com; helo=mail-ej1-f42.google.com; "
    "dkim=pass header.i=@gmail.com; dmarc=pass header.from=gmail.com;"
)
PASSING = {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "PASS"}


def headers(results: str = GMAIL_RESULTS, sender: str = "Ivan <ivan.petrov@gmail.com>") -> list[tuple[str, str]]:
    """A received message's headers as SES stores it: its own on top, then the message's."""
    return [
        ("Return-Path", "<ivan.petrov@gmail.com>"),
        ("Received", "from mail-ej1-f42.google.com by inbound-smtp.eu-west-1.amazonaws.com"),
        ("X-SES-Spam-Verdict", "PASS"),
        ("Authentication-Results", results),
        ("X-SES-RECEIPT", "AEFBQUFB"),
        ("DKIM-Signature", "v=1; a=rsa-sha256; d=gmail.com; s=20230601"),
        ("From", sender),
        ("To", "support@caseway.example"),
    ]


def evidence(**changes: object) -> Evidence:
    base = {
        "verdicts": dict(PASSING),
        "from_addresses": ("alice@acme.example",),
        "envelope_domain": "acme.example",
        "dkim_domains": ("acme.example",),
        "dmarc_domain": "acme.example",
    }
    return Evidence(**{**base, **changes})  # type: ignore[arg-type]


# --- alignment ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_domain", "other", "relaxed", "strict"),
    [
        ("acme.example", "acme.example", True, True),
        ("acme.example", "ACME.example.", True, True),
        ("acme.example", "mail.acme.example", True, False),  # the signer a subdomain of the From domain
        ("support.acme.example", "acme.example", True, False),  # the From domain a subdomain of the signer
        ("a.acme.example", "b.acme.example", False, False),  # siblings: stricter than DMARC without the suffix list
        ("acme.example", "evilacme.example", False, False),  # a suffix of the name is not a subdomain
        ("acme.example", "example", False, False),  # a bare top-level domain never aligns
        ("acme.example", "", False, False),
        ("acme.example", "globex.example", False, False),
    ],
)
def test_alignment_relaxed_and_strict(from_domain, other, relaxed, strict) -> None:
    assert trust.aligned(from_domain, other, trust.RELAXED) is relaxed
    assert trust.aligned(from_domain, other, trust.STRICT) is strict


def test_domain_of_an_envelope_sender_with_a_bounce_tag() -> None:
    assert trust.domain_of("prvs=144d0cba42=Sender@Example.COM") == "example.com"
    assert trust.domain_of("<a@b.example.>") == "b.example"
    assert trust.domain_of("") == ""


# --- SES's Authentication-Results -------------------------------------------------------------------------------


def test_the_evidence_of_a_gmail_message_as_ses_stores_it() -> None:
    found = trust.evidence_of(PASSING, headers(), "ivan.petrov@gmail.com")
    assert found.from_addresses == ("ivan.petrov@gmail.com",)
    assert found.dkim_domains == ("gmail.com",) and found.dmarc_domain == "gmail.com"
    assert found.envelope_domain == "gmail.com"
    assert trust.prove(found, "ivan.petrov@gmail.com") == trust.Proof(True, "proven (DKIM aligned)")


def test_only_the_authentication_results_ses_wrote_above_its_receipt_count() -> None:
    """A sender may write its own `Authentication-Results: amazonses.com; dmarc=pass` into the message: SES's
    headers are above X-SES-RECEIPT, the message's below it."""
    forged = (
        "amazonses.com; spf=pass envelope-from=alice@acme.example; dkim=pass header.i=@acme.example; "
        "dmarc=pass header.from=acme.example;"
    )
    ses = (
        "amazonses.com; spf=pass (spfCheck: ...) envelope-from=mallory@evil.example; "
        "dkim=pass header.i=@evil.example; dmarc=none header.from=acme.example;"
    )
    listed = headers(ses, "alice@acme.example")
    listed.insert(6, ("Authentication-Results", forged))
    assert trust.ses_authentication_results(listed) == [ses]
    found = trust.evidence_of({**PASSING, "dmarc": "GRAY"}, listed, "mallory@evil.example")
    assert found.dkim_domains == ("evil.example",) and found.dmarc_domain == ""
    assert not trust.prove(found)


def test_without_ses_receipt_header_no_authentication_results_count() -> None:
    listed = [(n, v) for n, v in headers() if n != "X-SES-RECEIPT"]
    assert trust.ses_authentication_results(listed) == []
    assert trust.prove(trust.evidence_of(PASSING, listed)).reason == "SES's header names no domain DMARC passed for"


def test_another_servers_authentication_results_above_the_receipt_do_not_count() -> None:
    listed = headers("mx.acme.example; dkim=pass header.i=@gmail.com; dmarc=pass header.from=gmail.com")
    assert trust.ses_authentication_results(listed) == []


def test_results_read_every_passing_dkim_signature_and_the_dmarc_domain() -> None:
    dkim, dmarc = trust.results_of(
        [
            "amazonses.com; spf=none (spfCheck: x) envelope-from=kent@fireshark.com; "
            "dkim=pass header.i=@fireshark-com.20150623.gappssmtp.com; dkim=fail header.d=fireshark.com; "
            "dkim=pass header.d=Mail.Fireshark.com; dmarc=pass header.from=fireshark.com;"
        ]
    )
    assert dkim == ("fireshark-com.20150623.gappssmtp.com", "mail.fireshark.com")
    assert dmarc == "fireshark.com"


def test_the_envelope_sender_falls_back_to_the_return_path_ses_wrote() -> None:
    assert trust.evidence_of(PASSING, headers()).envelope_domain == "gmail.com"


# --- the proof ---------------------------------------------------------------------------------------------------


def test_all_passing_and_aligned_proves_the_sender() -> None:
    assert trust.prove(evidence()).proven
    assert trust.prove(evidence(), "alice@acme.example").proven


@pytest.mark.parametrize("verdict", ["spf", "dkim", "dmarc"])
@pytest.mark.parametrize("status", ["GRAY", "FAIL", "PROCESSING_FAILED", "DISABLED", ""])
def test_any_required_verdict_short_of_pass_proves_nothing(verdict, status) -> None:
    proof = trust.prove(evidence(verdicts={**PASSING, verdict: status}))
    assert not proof.proven
    assert proof.reason == f"{verdict} verdict {status or 'missing'}"


@pytest.mark.parametrize("verdict", ["spf", "dkim", "dmarc"])
def test_a_missing_verdict_proves_nothing(verdict) -> None:
    verdicts = {k: v for k, v in PASSING.items() if k != verdict}
    assert trust.prove(evidence(verdicts=verdicts)).reason == f"{verdict} verdict missing"


def test_lower_case_verdicts_are_read_as_ses_writes_them() -> None:
    found = trust.evidence_of({k: v.lower() for k, v in PASSING.items()}, headers())
    assert trust.prove(found).proven


def test_spam_and_virus_verdicts_are_not_the_proof() -> None:
    """They decide the quarantine (shared/channels/safety.py), not who wrote."""
    assert trust.prove(evidence(verdicts={"spf": "PASS", "dkim": "PASS", "dmarc": "PASS"})).proven


@pytest.mark.parametrize(
    "addresses", [(), ("alice@acme.example", "bob@acme.example"), ("alice@acme.example", "alice@acme.example")]
)
def test_no_from_or_more_than_one_from_address_proves_nothing(addresses) -> None:
    assert not trust.prove(evidence(from_addresses=addresses)).proven


def test_two_from_headers_count_as_two_addresses() -> None:
    listed = [*headers(), ("From", "alice@acme.example")]
    found = trust.evidence_of(PASSING, listed)
    assert found.from_addresses == ("ivan.petrov@gmail.com", "alice@acme.example")
    assert not trust.prove(found).proven


def test_the_sender_read_must_be_the_from_address() -> None:
    assert not trust.prove(evidence(), "bob@acme.example").proven
    assert trust.prove(evidence(), "ALICE@acme.example").proven


def test_dmarc_passing_for_another_domain_than_the_from_header_proves_nothing() -> None:
    """SES read a different From (another header, another parse) than the desk: its DMARC pass is not for ours."""
    proof = trust.prove(evidence(dmarc_domain="evil.example", dkim_domains=("evil.example",)))
    assert proof.reason == "DMARC passed for evil.example, not the From domain acme.example"


def test_neither_dkim_nor_spf_aligned_proves_nothing() -> None:
    proof = trust.prove(evidence(dkim_domains=("evil.example",), envelope_domain="bounces.evil.example"))
    assert not proof.proven and "neither DKIM nor SPF aligned" in proof.reason


def test_spf_alone_aligned_proves_the_sender() -> None:
    proof = trust.prove(evidence(dkim_domains=("sendgrid.example",), envelope_domain="acme.example"))
    assert proof == trust.Proof(True, "proven (SPF aligned)")


def test_a_subdomain_signature_aligns_relaxed_but_not_strict() -> None:
    found = evidence(dkim_domains=("mail.acme.example",), envelope_domain="bounce.mail.acme.example")
    assert trust.prove(found, mode=trust.RELAXED).proven
    assert not trust.prove(found, mode=trust.STRICT).proven


# --- who may thread --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender_sub", "sender_org", "admin", "ticket_org", "allowed"),
    [
        ("cust-bob", "acme", False, "acme", True),  # the requester
        ("cust-alice", "acme", True, "acme", True),  # an organisation admin of the ticket's organisation
        ("cust-mallory", "acme", False, "acme", False),  # a colleague who is not an admin
        ("cust-vera", "globex", True, "acme", False),  # another organisation's admin
        ("contact-1", "public", True, "public", False),  # nobody administers the catch-all organisation
    ],
)
def test_who_threads_into_a_ticket(sender_sub, sender_org, admin, ticket_org, allowed) -> None:
    requester = "cust-bob" if ticket_org == "acme" else "contact-2"
    assert (
        trust.may_thread(
            sender_sub=sender_sub,
            sender_org=sender_org,
            sender_is_org_admin=admin,
            requester_sub=requester,
            ticket_org=ticket_org,
            public_org="public",
        )
        is allowed
    )
