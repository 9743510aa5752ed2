"""Whom an inbound e-mail proves to come from, and what that proof lets it do (small pure functions, no I/O).

A From header is a claim. It becomes an identity only when SES vouches for it:

- the receipt's verdicts (the Lambda event's `receipt.spfVerdict`, `dkimVerdict`, `dmarcVerdict`, each `.status`)
  are all PASS; GRAY (no policy, nothing to check), PROCESSING_FAILED, FAIL or a missing verdict prove nothing;
- the message has exactly one From address, and its domain is the one SES evaluated DMARC for: SES's own
  `Authentication-Results: amazonses.com; ... dmarc=pass header.from=<domain>` (the header SES adds above its
  `X-SES-RECEIPT` header; the same header further down was written by the sender and is ignored);
- that domain is aligned (DMARC's identifier alignment, computed here, not taken on trust) with a domain that passed:
  a `dkim=pass header.i=@<domain>` (or `header.d=`) of the same SES header, or the envelope sender's domain (SES's
  `mail.source`, which SPF checked).

Alignment is relaxed by default, as DMARC's is: the domains are equal, or one is a subdomain of the other
(`mail.acme.example` signs for `acme.example`). Without the public-suffix list this is stricter than DMARC's
"same organisational domain" (two sibling subdomains do not align), never looser: nobody can sign as a public
suffix. `strict` asks for equal domains.

A proven sender who is the ticket's requester, or an organisation admin of the ticket's organisation, threads an
e-mail into it by a subject token, the signed thread root or a notification's Message-ID (`may_thread`); anyone
else opens a new ticket. The signed reply address is a capability on its own (see shared/channels/inbound.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import getaddresses

RELAXED = "relaxed"
STRICT = "strict"
DEFAULT_ALIGNMENT = RELAXED
PASS = "PASS"  # noqa: S105 (an SES verdict, not a password)
REQUIRED_VERDICTS = ("spf", "dkim", "dmarc")
SES_AUTHSERV_ID = "amazonses.com"
SES_RECEIPT_HEADER = "x-ses-receipt"  # SES adds it right below its Authentication-Results
_RESULT = re.compile(r"(?:^|;)\s*(spf|dkim|dmarc)\s*=\s*([a-z]+)([^;]*)", re.IGNORECASE)
_PROPERTY = re.compile(r"\b(header\.[a-z]+|smtp\.mailfrom|envelope-from)\s*=\s*([^\s;()]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Evidence:
    """What the desk knows about an e-mail's origin: SES's verdicts and the domains its checks named."""

    verdicts: dict[str, str] = field(default_factory=dict)  # {"spf": "PASS", ...} from the receipt
    from_addresses: tuple[str, ...] = ()  # every address of every From header, lower-cased
    envelope_domain: str = ""  # the envelope sender's (MAIL FROM) domain: what SPF checked
    dkim_domains: tuple[str, ...] = ()  # the domains of the DKIM signatures SES found valid
    dmarc_domain: str = ""  # the From domain DMARC passed for in SES's header ("" when it names none)


@dataclass(frozen=True)
class Proof:
    proven: bool
    reason: str  # why not (or "proven"), for the log: names verdicts and domains, never an address

    def __bool__(self) -> bool:
        return self.proven


def domain_of(address: str) -> str:
    """The domain of an address (`prvs=1a2b=x@acme.example` too), lower-cased, without a trailing dot."""
    return address.strip().strip("<>").rpartition("@")[2].strip().rstrip(".").lower()


def aligned(from_domain: str, other: str, mode: str = DEFAULT_ALIGNMENT) -> bool:
    """DMARC identifier alignment of `other` (a DKIM or SPF domain) with the From header's domain."""
    a, b = from_domain.strip().rstrip(".").lower(), other.strip().rstrip(".").lower()
    if not a or not b or "." not in a or "." not in b:
        return False
    if a == b:
        return True
    if mode == STRICT:
        return False
    return a.endswith("." + b) or b.endswith("." + a)


def from_addresses(values: Iterable[str]) -> tuple[str, ...]:
    """Every address the From header(s) name (one From of one address is the only kind that can be proven)."""
    return tuple(addr.strip().lower() for _, addr in getaddresses(list(values)) if addr.strip())


def ses_authentication_results(headers: Iterable[tuple[str, str]]) -> list[str]:
    """SES's own Authentication-Results: those with its id above the first X-SES-RECEIPT header. SES prepends its
    headers, so any below were in the message as sent; with no X-SES-RECEIPT none can be told apart (none count)."""
    found: list[str] = []
    for name, value in headers:
        lowered = name.strip().lower()
        if lowered == SES_RECEIPT_HEADER:
            return found
        text = " ".join(str(value).split())
        if lowered == "authentication-results" and text.lower().startswith(SES_AUTHSERV_ID + ";"):
            found.append(text)
    return []


def results_of(authentication_results: Iterable[str]) -> tuple[tuple[str, ...], str]:
    """(the DKIM domains that passed, the From domain DMARC passed for) from SES's Authentication-Results."""
    dkim: list[str] = []
    dmarc = ""
    for header in authentication_results:
        for method, result, rest in _RESULT.findall(";" + header.partition(";")[2]):
            properties = {k.lower(): v for k, v in _PROPERTY.findall(rest)}
            if method.lower() == "dkim" and result.lower() == "pass":
                signer = properties.get("header.d") or properties.get("header.i") or ""
                if domain_of(signer):
                    dkim.append(domain_of(signer))
            elif method.lower() == "dmarc" and result.lower() == "pass" and properties.get("header.from"):
                dmarc = domain_of(properties["header.from"])
    return tuple(dict.fromkeys(dkim)), dmarc


def evidence_of(verdicts: dict[str, str], headers: Iterable[tuple[str, str]], envelope_sender: str = "") -> Evidence:
    """The evidence of one e-mail: SES's receipt verdicts, the message's headers in order (SES's on top), and the
    envelope sender SES reports (`mail.source`; else the Return-Path SES wrote)."""
    pairs = [(str(name), str(value)) for name, value in headers]
    if not envelope_sender:
        envelope_sender = next((v for n, v in pairs if n.strip().lower() == "return-path"), "")
    dkim, dmarc = results_of(ses_authentication_results(pairs))
    return Evidence(
        verdicts={k.lower(): str(v).upper() for k, v in verdicts.items()},
        from_addresses=from_addresses(v for n, v in pairs if n.strip().lower() == "from"),
        envelope_domain=domain_of(envelope_sender) if "@" in envelope_sender else "",
        dkim_domains=dkim,
        dmarc_domain=dmarc,
    )


def prove(evidence: Evidence, sender: str | None = None, mode: str = DEFAULT_ALIGNMENT) -> Proof:
    """Whether the e-mail proves its From address (see the module's docstring for the rule); `sender`: the address
    the desk read as the sender, which must be that one From address."""
    for name in REQUIRED_VERDICTS:
        status = evidence.verdicts.get(name) or "missing"
        if status != PASS:
            return Proof(False, f"{name} verdict {status}")
    if len(evidence.from_addresses) != 1:
        return Proof(False, f"{len(evidence.from_addresses)} From addresses")
    if sender is not None and sender.strip().lower() != evidence.from_addresses[0]:
        return Proof(False, "the sender read is not the From address")
    from_domain = domain_of(evidence.from_addresses[0])
    if not evidence.dmarc_domain:
        return Proof(False, "SES's header names no domain DMARC passed for")
    if evidence.dmarc_domain != from_domain:
        return Proof(False, f"DMARC passed for {evidence.dmarc_domain}, not the From domain {from_domain}")
    if any(aligned(from_domain, d, mode) for d in evidence.dkim_domains):
        return Proof(True, "proven (DKIM aligned)")
    if aligned(from_domain, evidence.envelope_domain, mode):
        return Proof(True, "proven (SPF aligned)")
    return Proof(False, f"neither DKIM nor SPF aligned with {from_domain} ({mode})")


def may_thread(
    *,
    sender_sub: str,
    sender_org: str | None,
    sender_is_org_admin: bool,
    requester_sub: str,
    ticket_org: str,
    public_org: str,
) -> bool:
    """Whether a proven sender's e-mail joins the ticket its subject token, thread root or Message-ID names: the
    requester's, or an organisation admin's of the ticket's organisation (never of the catch-all one)."""
    if sender_sub == requester_sub:
        return True
    return sender_is_org_admin and sender_org == ticket_org and ticket_org != public_org
