"""Keys of the money context's items: contracts, usage counters, incidents, invoices (docs/money.md)."""

from __future__ import annotations


def contract_pk(org_id: str) -> str:
    return f"CONTRACT#{org_id}"


CONTRACT_SK = "CONTRACT"


CONTRACTS_INDEX = "CONTRACTS"


INCIDENTS_ALL = "INCIDENTS"


INCIDENTS_OPEN = "INCIDENTS#OPEN"


INVOICES_ALL = "INVOICES"


INVOICES_DUE = "INVOICES#DUE"


def incident_id_for(kind: str, subject: str) -> str:
    return f"{kind}.{subject}".replace("#", "_").replace("/", "_")


def invoice_id_for(org_id: str, period_key: str) -> str:
    return f"{org_id}-{period_key}"
