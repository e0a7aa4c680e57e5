"""The record kinds a furnisher may send, and the fields of each.

The schemas are data, so validation, the record store, the synthetic population and the
documentation are all generated from one definition. Every kind carries ``record_id`` (the
furnisher's stable key for that fact), ``subject_id`` and ``furnisher``; one date field per kind is
its *business date*, the day the fact became true, used by the as-of rule.

A record is never overwritten. A furnisher that sends a ``record_id`` again with different values
sends a new *version* of that record, which counts from its ingestion time (an identical re-send
changes nothing). Every furnished kind ends with the optional field ``action``: empty for a record
as reported (new or updated), ``delete`` for a record the furnisher reported in error. A deletion
is a row like any other (the whole record, validated the same way) and is stored as the record's
latest version, so from its ingestion time the record stops counting while the versions before it
stay in the store for replays and for the subject's file. Sending the record again without
``action`` reinstates it, as a further version.

Examples
--------
>>> RECORD_KINDS["obligation"].business_date
'due_date'
>>> [f.name for f in RECORD_KINDS["inquiry"].fields]
['record_id', 'subject_id', 'furnisher', 'purpose', 'inquiry_date', 'action']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

import pyarrow as pa

__all__ = [
    "ACTION",
    "DELETE",
    "DISPUTABLE_KINDS",
    "ORGANISATION_KINDS",
    "RECORD_KINDS",
    "STORE_COLUMNS",
    "FieldSpec",
    "RecordKind",
    "arrow_schema",
]

FieldType = Literal["string", "date", "float", "int", "enum"]


@dataclass(frozen=True)
class FieldSpec:
    """One field of a record kind.

    ``minimum`` applies to numbers; ``values`` to enums; ``not_before`` names another date field
    of the same record that this one may not precede (a payment before its due date is fine, a
    closing before the opening is not).
    """

    name: str
    type: FieldType
    required: bool = True
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    not_before: str | None = None
    description: str = ""


@dataclass(frozen=True)
class RecordKind:
    """A kind of record: its fields, its business date and the dimension it feeds."""

    name: str
    fields: tuple[FieldSpec, ...]
    business_date: str
    dimension: str | None
    description: str = ""
    key: tuple[str, ...] = field(default=("record_id",))

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        msg = f"Record kind {self.name!r} has no field {name!r}."
        raise KeyError(msg)


#: The value of ``action`` that withdraws a record (see the module docstring).
DELETE: Final = "delete"
ACTION: Final = FieldSpec(
    "action",
    "enum",
    required=False,
    values=(DELETE,),
    description="empty for a record as reported; 'delete' withdraws a record sent in error",
)


def _common(furnisher_doc: str) -> tuple[FieldSpec, ...]:
    return (
        FieldSpec("record_id", "string", description="the furnisher's stable key for this fact"),
        FieldSpec("subject_id", "string", description="opaque subject identifier"),
        FieldSpec("furnisher", "string", description=furnisher_doc),
    )


OBLIGATION_CATEGORIES: Final = ("utility", "telecom", "rent", "platform")
TRADELINE_KINDS: Final = ("card", "instalment", "mortgage")
TRADELINE_STATUSES: Final = ("current", "delinquent", "default", "closed", "charged_off")
PUBLIC_RECORD_KINDS: Final = ("court_judgment", "bankruptcy", "tax_arrears", "regulatory_penalty")
SUBJECT_KINDS: Final = ("person", "organisation")
SUPPLIER_PAYMENT_CATEGORIES: Final = ("supplier", "utility")

RECORD_KINDS: Final[dict[str, RecordKind]] = {
    "subject": RecordKind(
        name="subject",
        fields=(
            FieldSpec("subject_id", "string", description="opaque subject identifier"),
            FieldSpec("kind", "enum", values=SUBJECT_KINDS),
            FieldSpec("created_date", "date", description="when the subject was first known"),
        ),
        business_date="created_date",
        dimension=None,
        key=("subject_id",),
        description="A scored person or organisation, by an opaque id only.",
    ),
    "obligation": RecordKind(
        name="obligation",
        fields=(
            *_common("the utility, telecom, landlord or platform that billed"),
            FieldSpec("category", "enum", values=OBLIGATION_CATEGORIES),
            FieldSpec("account", "string"),
            FieldSpec("due_date", "date"),
            FieldSpec("amount_due", "float", minimum=0.0),
            FieldSpec("paid_date", "date", required=False, description="empty while unpaid"),
            FieldSpec("amount_paid", "float", required=False, minimum=0.0),
            ACTION,
        ),
        business_date="due_date",
        dimension="payment_reliability",
        description="One bill: what was due when, and when and how much was paid.",
    ),
    "tradeline": RecordKind(
        name="tradeline",
        fields=(
            *_common("the lender reporting the account"),
            FieldSpec("account", "string"),
            FieldSpec("kind", "enum", values=TRADELINE_KINDS),
            FieldSpec("opened_date", "date"),
            FieldSpec("closed_date", "date", required=False, not_before="opened_date"),
            FieldSpec(
                "credit_limit",
                "float",
                minimum=0.0,
                description="limit of a card, original amount of a loan",
            ),
            FieldSpec("balance", "float", minimum=0.0),
            FieldSpec("reported_date", "date", not_before="opened_date"),
            FieldSpec("days_past_due", "int", minimum=0, maximum=10_000),
            FieldSpec("status", "enum", values=TRADELINE_STATUSES),
            ACTION,
        ),
        business_date="reported_date",
        dimension="credit_history",
        description="A monthly report of a credit account's state.",
    ),
    "public_record": RecordKind(
        name="public_record",
        fields=(
            *_common("the court, tax authority or regulator"),
            FieldSpec("kind", "enum", values=PUBLIC_RECORD_KINDS),
            FieldSpec("filed_date", "date"),
            FieldSpec("amount", "float", minimum=0.0),
            FieldSpec("satisfied_date", "date", required=False, not_before="filed_date"),
            ACTION,
        ),
        business_date="filed_date",
        dimension="legal_compliance",
        description="A judgment, bankruptcy, tax arrear or regulatory penalty.",
    ),
    "supplier_payment": RecordKind(
        name="supplier_payment",
        fields=(
            *_common("the supplier or utility that invoiced the organisation"),
            FieldSpec("category", "enum", values=SUPPLIER_PAYMENT_CATEGORIES),
            FieldSpec("invoice", "string", description="the supplier's invoice number"),
            FieldSpec("invoice_date", "date"),
            FieldSpec(
                "terms_days",
                "int",
                minimum=0,
                maximum=365,
                description="days after the invoice date the payment terms allow (net 30: 30)",
            ),
            FieldSpec("amount", "float", minimum=0.0),
            FieldSpec(
                "paid_date",
                "date",
                required=False,
                not_before="invoice_date",
                description="empty while unpaid",
            ),
            ACTION,
        ),
        business_date="invoice_date",
        dimension="trade_payments",
        description="An organisation's invoice from a supplier or utility, its terms and "
        "when it was paid (organisations only: a person's bills are obligations).",
    ),
    "inquiry": RecordKind(
        name="inquiry",
        fields=(
            *_common("the party that asked for the subject's score"),
            FieldSpec("purpose", "string"),
            FieldSpec("inquiry_date", "date"),
            ACTION,
        ),
        business_date="inquiry_date",
        dimension="credit_history",
        description="A request for the subject's score, visible to the subject.",
    ),
}

#: Kinds only an organisation's file holds (a person's bills are ``obligation`` records): a row
#: naming a person is quarantined. No sole-trader rule joins a person's and a firm's records.
ORGANISATION_KINDS: Final[tuple[str, ...]] = ("supplier_payment",)

#: Kinds a subject may dispute: every record about them, not the subject entry itself.
DISPUTABLE_KINDS: Final[tuple[str, ...]] = tuple(k for k in RECORD_KINDS if k != "subject")

# Columns the record store adds to every stored row.
STORE_COLUMNS: Final[tuple[tuple[str, pa.DataType], ...]] = (
    ("batch_id", pa.string()),
    ("ingested_at", pa.timestamp("us", tz="UTC")),
)

_ARROW_TYPES: Final[dict[str, pa.DataType]] = {
    "string": pa.string(),
    "enum": pa.string(),
    "date": pa.date32(),
    "float": pa.float64(),
    "int": pa.int64(),
}


def arrow_schema(kind: str, *, stored: bool = False) -> pa.Schema:
    """The Arrow schema of a record kind; with ``stored=True`` the store's columns are added."""
    spec = RECORD_KINDS[kind]
    fields = [pa.field(f.name, _ARROW_TYPES[f.type], nullable=not f.required) for f in spec.fields]
    if stored:
        fields += [pa.field(name, dtype, nullable=False) for name, dtype in STORE_COLUMNS]
    return pa.schema(fields)
