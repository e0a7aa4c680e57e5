"""The features an organisation's scorecard may use, apart from a person's.

An organisation is described by how it pays its suppliers and utilities against their terms
(``supplier_payment`` records), its credit accounts (``tradeline``), its tax and regulatory
compliance and its court judgments (``public_record``). A person's feature set
(:data:`~trustscore.features.FEATURES`) and this one share no name, and each is computed only
over subjects of its kind (:func:`trustscore.features.compute_features`, ``subject_kind=``):
a person's score never uses a firm's records, nor the reverse. There is no sole-trader rule
that joins the two; a sole trader's business records are kept under the business's own
subject, and a person's model refuses an organisation's features (and the reverse).

*Days beyond terms* (DBT) of an invoice: the days from the end of its terms (invoice date +
``terms_days``) to its payment, or to ``as_of`` while unpaid; 0 when paid within terms.
The *PAYDEX-like index*, 0–100, weighs each invoice of the last 12 months by its amount and
gives it 100 when paid 10 or more days before its terms ended ("anticipates"), 80 within terms,
70 up to 15 days beyond, 60 up to 22, 50 up to 30, 40 up to 60, 30 up to 90 and 20 beyond.

Examples
--------
>>> [f.name for f in ORG_FEATURES][:2]
['paydex_12m', 'max_days_beyond_terms_12m']
>>> sorted(ORG_DIMENSIONS)
['legal', 'tax_regulatory', 'trade_payments']
"""

from __future__ import annotations

from typing import Final

from trustscore.features._definitions import FeatureDef
from trustscore.i18n import N_

__all__ = [
    "ORG_BOUNDS",
    "ORG_CHANGEABILITY",
    "ORG_CRITERIA_SOURCES",
    "ORG_DIMENSIONS",
    "ORG_FEATURES",
    "ORG_LABELS",
    "PAYDEX_STEPS",
]

ORG_DIMENSIONS: Final[dict[str, str]] = {
    "trade_payments": N_("Trade payments"),
    "tax_regulatory": N_("Tax and regulatory compliance"),
    "legal": N_("Legal standing"),
}

#: ``(most days beyond terms, index)``, in order; an invoice paid 10 or more days before its
#: terms ended gets 100, one beyond the last step 20.
PAYDEX_STEPS: Final[tuple[tuple[int, int], ...]] = (
    (0, 80), (15, 70), (22, 60), (30, 50), (60, 40), (90, 30),
)  # fmt: skip
PAYDEX_ANTICIPATE_DAYS: Final = 10

_INVOICES = N_(
    "Invoices from suppliers and utilities, reported for the organisation and paid within their "
    "terms, build a trade payment record."
)
_INVOICE_SOURCES: Final = (
    "supplier_payment.invoice_date",
    "supplier_payment.terms_days",
    "supplier_payment.paid_date",
)
_PR = ("public_record.kind", "public_record.filed_date", "public_record.satisfied_date")

ORG_FEATURES: Final[tuple[FeatureDef, ...]] = (
    FeatureDef(
        "paydex_12m",
        "trade_payments",
        "PAYDEX-like index (0-100) of the invoices dated in the last 12 months, weighted by "
        "amount (see the module docstring). NULL if there is none.",
        "OP01",
        N_("Invoices paid beyond their terms in the last 12 months, weighted by amount"),
        N_("Pay each invoice within its terms; larger invoices weigh more."),
        direction=1,
        missing_reason=N_("No supplier or utility invoice in the last 12 months on file"),
        missing_improve=_INVOICES,
        sources=(*_INVOICE_SOURCES, "supplier_payment.amount"),
    ),
    FeatureDef(
        "max_days_beyond_terms_12m",
        "trade_payments",
        "Most days beyond terms of an invoice dated in the last 12 months. NULL if there is none.",
        "OP02",
        N_("An invoice paid long after its terms in the last 12 months"),
        N_("Pay invoices by the end of their terms; this looks back 12 months."),
        direction=-1,
        missing_reason=N_("No supplier or utility invoice in the last 12 months on file"),
        missing_improve=_INVOICES,
        sources=_INVOICE_SOURCES,
    ),
    FeatureDef(
        "n_beyond_terms_60_24m",
        "trade_payments",
        "Invoices dated in the last 24 months paid (or unpaid) 60 or more days beyond terms.",
        "OP03",
        N_("Invoices paid 60 or more days beyond their terms in the last 24 months"),
        N_(
            "Pay invoices before they are 60 days beyond terms; these stop counting after 24 "
            "months."
        ),
        direction=-1,
        missing_reason=N_("No invoice 60 or more days beyond terms on file"),
        missing_improve="",
        sources=_INVOICE_SOURCES,
    ),
    FeatureDef(
        "credit_worst_dpd_12m",
        "trade_payments",
        "Most days past due on any credit account reported in the last 12 months. NULL if none.",
        "OP04",
        N_("A credit account of the organisation past due in the last 12 months"),
        N_("Bring every credit account up to date; this looks back 12 months."),
        direction=-1,
        missing_reason=N_("No credit account of the organisation reported in the last 12 months"),
        missing_improve=N_(
            "A loan or credit line reported for the organisation and paid as agreed builds a "
            "credit history."
        ),
        sources=("tradeline.reported_date", "tradeline.days_past_due"),
    ),
    FeatureDef(
        "n_tax_arrears",
        "tax_regulatory",
        "Tax arrears filed within the horizon and not satisfied by as_of (0 if none).",
        "OT01",
        N_("Unpaid tax arrears"),
        N_("Pay the tax owed; the record stops counting once the tax authority reports it paid."),
        direction=-1,
        missing_reason=N_("No unpaid tax arrears on file"),
        missing_improve="",
        sources=_PR,
    ),
    FeatureDef(
        "tax_arrears_amount",
        "tax_regulatory",
        "Total amount of the tax arrears counted by n_tax_arrears (0 if none).",
        "OT02",
        N_("Amounts owed in tax arrears"),
        N_("Paying the arrears removes them once the tax authority reports them paid."),
        direction=-1,
        missing_reason=N_("No amount owed in tax arrears on file"),
        missing_improve="",
        sources=(*_PR, "public_record.amount"),
    ),
    FeatureDef(
        "n_regulatory_penalties_36m",
        "tax_regulatory",
        "Regulatory penalties filed in the last 36 months (satisfied or not).",
        "OT03",
        N_("Regulatory penalties in the last 36 months"),
        N_("Meet the regulator's requirements; penalties stop counting after 36 months."),
        direction=-1,
        missing_reason=N_("No regulatory penalty in the last 36 months on file"),
        missing_improve="",
        sources=("public_record.kind", "public_record.filed_date"),
    ),
    FeatureDef(
        "n_unsatisfied_judgments",
        "legal",
        "Court judgments and bankruptcies filed within the horizon and not satisfied by as_of.",
        "OL01",
        N_("Court judgments or insolvency proceedings against the organisation not settled"),
        N_(
            "Settle the judgment; it stops counting once the court reports it satisfied. If a "
            "record is wrong, dispute it and it will be corrected or removed."
        ),
        direction=-1,
        missing_reason=N_("No unsettled court judgment against the organisation on file"),
        missing_improve="",
        sources=_PR,
    ),
    FeatureDef(
        "months_since_judgment",
        "legal",
        "Whole months since the most recent court judgment or bankruptcy counted by "
        "n_unsatisfied_judgments. NULL if there is none.",
        "OL02",
        N_("A recent court judgment against the organisation that is not settled"),
        N_(
            "Settle the judgment; an unsettled one weighs less as time passes and ages out after "
            "seven years."
        ),
        direction=1,
        missing_reason=N_("No unsettled court judgment against the organisation on file"),
        missing_improve="",
        sources=_PR,
    ),
)

#: The lineage of the organisation table's minimum-scoring-criteria columns.
ORG_CRITERIA_SOURCES: Final[dict[str, tuple[str, ...]]] = {
    "months_history": ("supplier_payment.invoice_date", "tradeline.reported_date"),
    "n_records_12m": ("supplier_payment.invoice_date", "tradeline.reported_date"),
}

ORG_CHANGEABILITY: Final[dict[str, str]] = {
    "paydex_12m": "action",
    "max_days_beyond_terms_12m": "time",
    "n_beyond_terms_60_24m": "time",
    "credit_worst_dpd_12m": "time",
    "n_tax_arrears": "action",
    "tax_arrears_amount": "action",
    "n_regulatory_penalties_36m": "time",
    "n_unsatisfied_judgments": "action",
    "months_since_judgment": "time",
}

ORG_LABELS: Final[dict[str, str]] = {
    "paydex_12m": N_("trade payment index of the last 12 months (0-100)"),
    "max_days_beyond_terms_12m": N_("most days an invoice was paid beyond terms in 12 months"),
    "n_beyond_terms_60_24m": N_("number of invoices 60 or more days beyond terms in 24 months"),
    "credit_worst_dpd_12m": N_("most days past due on a credit account in the last 12 months"),
    "n_tax_arrears": N_("number of unpaid tax arrears"),
    "tax_arrears_amount": N_("amount of unpaid tax arrears"),
    "n_regulatory_penalties_36m": N_("number of regulatory penalties in the last 36 months"),
    "n_unsatisfied_judgments": N_("number of unsettled court judgments"),
    "months_since_judgment": N_("months since a court judgment was filed"),
}

_COUNT = (0.0, None, N_("a count is never negative"))
_MONTHS = (0.0, None, N_("a number of months is never negative"))

ORG_BOUNDS: Final[dict[str, tuple[float, float | None, str]]] = {
    "paydex_12m": (20.0, 100.0, N_("the trade payment index lies between 20 and 100")),
    "max_days_beyond_terms_12m": (0.0, None, N_("a number of days late is never negative")),
    "n_beyond_terms_60_24m": _COUNT,
    "credit_worst_dpd_12m": (0.0, None, N_("a number of days late is never negative")),
    "n_tax_arrears": _COUNT,
    "tax_arrears_amount": (0.0, None, N_("an amount owed is never negative")),
    "n_regulatory_penalties_36m": _COUNT,
    "n_unsatisfied_judgments": _COUNT,
    "months_since_judgment": _MONTHS,
}
