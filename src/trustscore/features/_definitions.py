"""The features a scorecard may use: names, dimensions and the reasons a subject reads.

Each feature is a :class:`FeatureDef`. Its ``reason`` and ``improve`` texts are what a subject
reads in an adverse-action notice when the feature cost them points, so they name the conduct
plainly and say how it clears. The computation of each feature is in
:mod:`trustscore.features._expressions`; the two are kept in the same order.

Windows are "in the last N months": a business date after as_of minus N months and on or
before as_of. Negative items (late bills, delinquent or defaulted accounts, public records) age
out after the horizon (seven years by default).

Examples
--------
>>> [f.reason_code for f in FEATURES][:3]
['PR01', 'PR02', 'PR03']
>>> sorted(DIMENSIONS)
['credit_history', 'legal_compliance', 'payment_reliability']
>>> feature("n_late_30_24m").reason
'Bills paid 30 or more days late in the last 24 months'
>>> feature("n_inquiries_6m").sources
('inquiry.inquiry_date',)
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Final

from trustscore.i18n import N_

__all__ = [
    "BOUNDS",
    "CHANGEABILITY",
    "DIMENSIONS",
    "FEATURES",
    "LABELS",
    "FeatureDef",
    "feature",
]

DIMENSIONS: Final[dict[str, str]] = {
    "payment_reliability": N_("Payment reliability"),
    "credit_history": N_("Credit history"),
    "legal_compliance": N_("Legal compliance"),
}


@dataclass(frozen=True)
class FeatureDef:
    """One as-of feature.

    Parameters
    ----------
    name : str
        Column name in the feature table (snake_case).
    dimension : str
        One of :data:`DIMENSIONS`.
    description : str
        What the value is, for analysts and the model card (including when it is NULL).
    reason_code : str
        Stable code shown with scores, e.g. ``"PR01"``.
    reason : str
        The adverse-action reason a subject reads.
    improve : str
        How the subject can improve it.
    direction : {1, -1, 0}
        The direction of conduct: 1, more is better (the points never fall as the value
        rises); -1, more is worse; 0, none, with ``direction_note`` saying why.
    direction_note : str
        Why the feature has no direction (empty when it has one).
    sources : tuple of str
        Its lineage: every record field, ``"kind.field"``, its value depends on, through the
        value itself or the choice of the records it counts (a window on a date, the latest
        report of an account). The fields every feature reads for the as-of rule (``record_id``,
        ``subject_id``, ``action`` and the store's ``batch_id`` and ``ingested_at``) are left
        out. A test reads the fields from the compiled feature expression and checks them
        against this declaration; training refuses a characteristic whose lineage reaches a
        prohibited field (:func:`trustscore.safeguards.check_lineage`).
    missing_reason_code, missing_reason, missing_improve : str
        The no-information statement: what a subject whose value is missing (NULL) reads,
        with its own reason code (the feature's code + ``"N"``), and how that changes. It
        states the absence, never a fact the subject does not have.

    Examples
    --------
    >>> FEATURES[0].dimension
    'payment_reliability'
    >>> feature("card_utilisation").direction, feature("card_utilisation").missing_reason
    (-1, 'No open card with a credit limit on file')
    """

    name: str
    dimension: str
    description: str
    reason_code: str
    reason: str
    improve: str
    _: KW_ONLY
    direction: int
    missing_reason: str
    missing_improve: str
    direction_note: str = ""
    sources: tuple[str, ...] = ()

    @property
    def missing_reason_code(self) -> str:
        """The reason code of the no-information statement: the feature's code + ``"N"``."""
        return self.reason_code + "N"


_BILLS = N_(
    "Bills from a utility, telecom, landlord or platform, reported in your name and paid on time, "
    "build a payment record."
)
_LOANS = N_("A loan or card reported in your name and paid as agreed builds a credit history.")

FEATURES: Final[tuple[FeatureDef, ...]] = (
    # --- payment reliability: bills (utility, telecom, rent, platform) -------------------------
    FeatureDef(
        "on_time_share_12m",
        "payment_reliability",
        "Share of bills due in the last 12 months that were paid by their due date (or are not "
        "yet past due). NULL if no bill fell due in the last 12 months.",
        "PR01",
        N_("Bills not paid by their due date in the last 12 months"),
        N_("Pay each bill on or before its due date; every bill paid on time raises this share."),
        direction=1,
        missing_reason=N_("No bill due in the last 12 months on file"),
        missing_improve=_BILLS,
        sources=("obligation.due_date", "obligation.paid_date"),
    ),
    FeatureDef(
        "on_time_share_36m",
        "payment_reliability",
        "Share of bills due in the last 36 months that were paid by their due date (or are not "
        "yet past due). NULL if no bill fell due in the last 36 months.",
        "PR02",
        N_("Bills not paid by their due date in the last 36 months"),
        N_("Pay each bill on or before its due date; late payments count for 36 months."),
        direction=1,
        missing_reason=N_("No bill due in the last 36 months on file"),
        missing_improve=_BILLS,
        sources=("obligation.due_date", "obligation.paid_date"),
    ),
    FeatureDef(
        "n_late_30_24m",
        "payment_reliability",
        "Number of bills due in the last 24 months that were paid 30 or more days late, or are "
        "unpaid 30 or more days after their due date. NULL if the file holds no bill.",
        "PR03",
        N_("Bills paid 30 or more days late in the last 24 months"),
        N_(
            "Pay bills before they are 30 days overdue; late bills stop counting after 24 months."
            " If a record is wrong, dispute it and it will be corrected or removed."
        ),
        direction=-1,
        missing_reason=N_("No bill on file"),
        missing_improve=_BILLS,
        sources=("obligation.due_date", "obligation.paid_date"),
    ),
    FeatureDef(
        "n_late_90_24m",
        "payment_reliability",
        "Number of bills due in the last 24 months that were paid 90 or more days late, or are "
        "unpaid 90 or more days after their due date. NULL if the file holds no bill.",
        "PR04",
        N_("Bills paid 90 or more days late in the last 24 months"),
        N_(
            "Settle any bill that is overdue; bills 90 days late stop counting after 24 months."
            " If a record is wrong, dispute it and it will be corrected or removed."
        ),
        direction=-1,
        missing_reason=N_("No bill on file"),
        missing_improve=_BILLS,
        sources=("obligation.due_date", "obligation.paid_date"),
    ),
    FeatureDef(
        "max_days_late_12m",
        "payment_reliability",
        "Most days any bill due in the last 12 months was paid late, or has been unpaid past its "
        "due date. NULL if no bill fell due in the last 12 months.",
        "PR05",
        N_("A bill paid long after its due date in the last 12 months"),
        N_(
            "Pay overdue bills as soon as you can; the longer a bill stays unpaid the more it "
            "counts."
        ),
        direction=-1,
        missing_reason=N_("No bill due in the last 12 months on file"),
        missing_improve=_BILLS,
        sources=("obligation.due_date", "obligation.paid_date"),
    ),
    FeatureDef(
        "months_since_late_30",
        "payment_reliability",
        "Whole months since the due date of the most recent bill paid (or unpaid) 30 or more "
        "days late, within the horizon. NULL if there is none.",
        "PR06",
        N_("A recent bill paid 30 or more days late"),
        N_(
            "Keep every bill within 30 days of its due date; a late bill weighs less as time "
            "passes."
            " If a record is wrong, dispute it and it will be corrected or removed."
        ),
        direction=1,
        missing_reason=N_("No bill paid 30 or more days late on file"),
        missing_improve="",
        sources=("obligation.due_date", "obligation.paid_date"),
    ),
    FeatureDef(
        "unpaid_amount_ratio_12m",
        "payment_reliability",
        "Share of the amount billed in the last 12 months that was still unpaid on the as-of "
        "date. NULL if nothing was billed in the last 12 months.",
        "PR07",
        N_("Amounts billed in the last 12 months that are still unpaid"),
        N_("Pay the outstanding amounts on your bills."),
        direction=-1,
        missing_reason=N_("Nothing billed in the last 12 months on file"),
        missing_improve=_BILLS,
        sources=(
            "obligation.due_date",
            "obligation.paid_date",
            "obligation.amount_due",
            "obligation.amount_paid",
        ),
    ),
    # --- credit history: loans and cards, inquiries ---------------------------------------------
    FeatureDef(
        "worst_dpd_12m",
        "credit_history",
        "Most days past due reported on any credit account in the last 12 months. NULL if no "
        "account was reported in the last 12 months.",
        "CH01",
        N_("A loan or card payment past due in the last 12 months"),
        N_(
            "Bring every loan and card up to date and make at least the minimum payment each month."
        ),
        direction=-1,
        missing_reason=N_("No loan or card reported in the last 12 months"),
        missing_improve=_LOANS,
        sources=("tradeline.reported_date", "tradeline.days_past_due"),
    ),
    FeatureDef(
        "n_months_30dpd_24m",
        "credit_history",
        "Number of calendar months in the last 24 in which any credit account was reported 30 or "
        "more days past due. NULL if the file holds no credit account.",
        "CH02",
        N_("Months with a loan or card payment 30 or more days past due in the last 24 months"),
        N_(
            "Make each monthly loan and card payment within 30 days of its due date."
            " If a record is wrong, dispute it and it will be corrected or removed."
        ),
        direction=-1,
        missing_reason=N_("No loan or card on file"),
        missing_improve=_LOANS,
        sources=("tradeline.reported_date", "tradeline.days_past_due"),
    ),
    FeatureDef(
        "card_utilisation",
        "credit_history",
        "Total balance over total limit of the open cards, from each card's latest report. NULL "
        "if there is no open card with a limit.",
        "CH03",
        N_("Card balances high compared with the card limits"),
        N_("Pay down card balances; using less of your limits improves this."),
        direction=-1,
        missing_reason=N_("No open card with a credit limit on file"),
        missing_improve="",
        sources=(
            "tradeline.furnisher",
            "tradeline.account",
            "tradeline.reported_date",
            "tradeline.kind",
            "tradeline.status",
            "tradeline.closed_date",
            "tradeline.balance",
            "tradeline.credit_limit",
        ),
    ),
    FeatureDef(
        "months_since_oldest_opened",
        "credit_history",
        "Whole months since the oldest credit account was opened. NULL if the file holds no "
        "credit account.",
        "CH04",
        N_("A short history of credit accounts"),
        N_("This improves with time: keep your oldest accounts in good standing."),
        direction=1,
        missing_reason=N_("No loan or card on file"),
        missing_improve=_LOANS,
        sources=("tradeline.reported_date", "tradeline.opened_date"),
    ),
    FeatureDef(
        "n_open_accounts",
        "credit_history",
        "Number of credit accounts open on the as-of date, from each account's latest report. "
        "NULL if the file holds no credit account.",
        "CH05",
        N_("Few open credit accounts in good standing"),
        N_("Credit accounts kept open and paid as agreed build this over time."),
        direction=0,
        direction_note=(
            "How many accounts are open says how much credit a subject holds, not how they meet "
            "it: a few can mean a thin file and many can mean heavy borrowing, so neither more "
            "nor fewer is better conduct in itself, and its points follow the data."
        ),
        missing_reason=N_("No loan or card on file"),
        missing_improve=_LOANS,
        sources=(
            "tradeline.furnisher",
            "tradeline.account",
            "tradeline.reported_date",
            "tradeline.status",
            "tradeline.closed_date",
        ),
    ),
    FeatureDef(
        "any_default_36m",
        "credit_history",
        "1 if any credit account was reported in default or charged off in the last 36 months, "
        "else 0. NULL if the file holds no credit account.",
        "CH06",
        N_("A loan or card in default or charged off in the last 36 months"),
        N_(
            "Contact the lender to settle the debt; defaults stop counting after 36 months."
            " If a record is wrong, dispute it and it will be corrected or removed."
        ),
        direction=-1,
        missing_reason=N_("No loan or card on file"),
        missing_improve=_LOANS,
        sources=("tradeline.reported_date", "tradeline.status"),
    ),
    FeatureDef(
        "months_since_delinquency",
        "credit_history",
        "Whole months since the most recent report of a credit account 30 or more days past due, "
        "in default or charged off, within the horizon. NULL if there is none.",
        "CH07",
        N_("A recent loan or card payment 30 or more days past due"),
        N_(
            "Keep all loan and card payments up to date; a past delinquency weighs less over time."
            " If a record is wrong, dispute it and it will be corrected or removed."
        ),
        direction=1,
        missing_reason=N_("No loan or card payment 30 or more days past due on file"),
        missing_improve="",
        sources=("tradeline.reported_date", "tradeline.days_past_due", "tradeline.status"),
    ),
    FeatureDef(
        "n_inquiries_6m",
        "credit_history",
        "Number of requests for the subject's score in the last 6 months (0 if none).",
        "CH08",
        N_("Many requests for your score in the last 6 months"),
        N_("Apply for new credit only when you need it; requests stop counting after 6 months."),
        direction=-1,
        missing_reason=N_("No request for your score on file"),
        missing_improve="",
        sources=("inquiry.inquiry_date",),
    ),
    # --- legal compliance: judgments, bankruptcies, tax arrears, penalties ----------------------
    FeatureDef(
        "n_unsatisfied_public_records",
        "legal_compliance",
        "Number of court judgments, bankruptcies, tax arrears and regulatory penalties filed "
        "within the horizon and not satisfied by the as-of date (0 if none).",
        "LC01",
        N_("Unpaid court judgments, tax arrears or penalties on file"),
        N_(
            "Pay or settle the judgment, arrear or penalty and ask the authority to report it "
            "satisfied; satisfied records no longer count."
            " If a record is wrong, dispute it and it will be corrected or removed."
        ),
        direction=-1,
        missing_reason=N_("No unsettled court judgment, tax arrear or penalty on file"),
        missing_improve="",
        sources=("public_record.filed_date", "public_record.satisfied_date"),
    ),
    FeatureDef(
        "unsatisfied_public_record_amount",
        "legal_compliance",
        "Total amount of the public records counted by n_unsatisfied_public_records (0 if none).",
        "LC02",
        N_("Amounts owed under court judgments, tax arrears or penalties"),
        N_("Paying off the amounts owed removes them once the authority reports them satisfied."),
        direction=-1,
        missing_reason=N_("No amount owed under a court judgment, tax arrear or penalty on file"),
        missing_improve="",
        sources=(
            "public_record.filed_date",
            "public_record.satisfied_date",
            "public_record.amount",
        ),
    ),
    FeatureDef(
        "months_since_public_record",
        "legal_compliance",
        "Whole months since the filing of the most recent public record counted by "
        "n_unsatisfied_public_records. NULL if there is none.",
        "LC03",
        N_("A recent court judgment, tax arrear or penalty that is not settled"),
        N_(
            "Settle the record; an unsatisfied record weighs less as time passes and ages out "
            "after seven years."
            " If a record is wrong, dispute it and it will be corrected or removed."
        ),
        direction=1,
        missing_reason=N_("No unsettled court judgment, tax arrear or penalty on file"),
        missing_improve="",
        sources=("public_record.filed_date", "public_record.satisfied_date"),
    ),
)

_BY_NAME: Final[dict[str, FeatureDef]] = {f.name: f for f in FEATURES}


def feature(name: str) -> FeatureDef:
    """The :class:`FeatureDef` called ``name``.

    Raises
    ------
    KeyError
        If there is no such feature.

    Examples
    --------
    >>> feature("card_utilisation").reason_code
    'CH03'
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        msg = f"No feature named {name!r}; the features are: {', '.join(_BY_NAME)}."
        raise KeyError(msg) from None


#: How each feature can change: ``"action"``, by the subject's own conduct (pay bills on time,
#: pay down a card, settle a judgment); ``"time"``, only as time passes (how long ago something
#: happened, counts of past events that age out of their window); ``"fixed"``, never. The way to
#: a higher tier suggests only actions (:func:`trustscore.scoring.find_changes`); the demo puts
#: these into its model as each characteristic's ``"change"``.
CHANGEABILITY: Final[dict[str, str]] = {
    "on_time_share_12m": "action",
    "on_time_share_36m": "action",
    "n_late_30_24m": "time",
    "n_late_90_24m": "time",
    "max_days_late_12m": "time",
    "months_since_late_30": "time",
    "unpaid_amount_ratio_12m": "action",
    "worst_dpd_12m": "time",
    "n_months_30dpd_24m": "time",
    "card_utilisation": "action",
    "months_since_oldest_opened": "time",
    "n_open_accounts": "action",
    "any_default_36m": "time",
    "months_since_delinquency": "time",
    "n_inquiries_6m": "time",
    "n_unsatisfied_public_records": "action",
    "unsatisfied_public_record_amount": "action",
    "months_since_public_record": "time",
}

#: What a person reads for each feature where a statement names it ("Your number of open
#: credit accounts, 3, is outside the range that scores best (less than 1)").
LABELS: Final[dict[str, str]] = {
    "on_time_share_12m": N_("share of bills paid on time in the last 12 months"),
    "on_time_share_36m": N_("share of bills paid on time in the last 36 months"),
    "n_late_30_24m": N_("number of bills paid 30 or more days late in the last 24 months"),
    "n_late_90_24m": N_("number of bills paid 90 or more days late in the last 24 months"),
    "max_days_late_12m": N_("most days a bill was late in the last 12 months"),
    "months_since_late_30": N_("months since a bill was 30 or more days late"),
    "unpaid_amount_ratio_12m": N_("share of the amount billed in the last 12 months still unpaid"),
    "worst_dpd_12m": N_("most days past due on a credit account in the last 12 months"),
    "n_months_30dpd_24m": N_("months in the last 24 with a credit payment 30 or more days late"),
    "card_utilisation": N_("card balances as a share of the card limits"),
    "months_since_oldest_opened": N_("months since your oldest credit account was opened"),
    "n_open_accounts": N_("number of open credit accounts"),
    "any_default_36m": N_("default or charge-off in the last 36 months"),
    "months_since_delinquency": N_("months since a credit account was 30 or more days past due"),
    "n_inquiries_6m": N_("number of requests for your score in the last 6 months"),
    "n_unsatisfied_public_records": N_("number of unsatisfied court judgments and public records"),
    "unsatisfied_public_record_amount": N_(
        "amount of unsatisfied court judgments and public records"
    ),
    "months_since_public_record": N_("months since a court judgment or public record was filed"),
}

_SHARE = (0.0, 1.0, N_("a share lies between 0 and 1"))
_COUNT = (0.0, None, N_("a count is never negative"))
_MONTHS = (0.0, None, N_("a number of months is never negative"))
_DAYS = (0.0, None, N_("a number of days late is never negative"))

#: What each feature's value can be at all, ``(lower, upper, why)`` (inclusive, None: no
#: limit), as :class:`~trustscore.model.Scorecard` takes them (``bounds=``): a scored value
#: beyond them is flagged ``impossible``. Card balances can pass their limits (over-limit
#: accounts), so card utilisation's bound is twice the limits, not 1.
BOUNDS: Final[dict[str, tuple[float, float | None, str]]] = {
    "on_time_share_12m": _SHARE,
    "on_time_share_36m": _SHARE,
    "n_late_30_24m": _COUNT,
    "n_late_90_24m": _COUNT,
    "max_days_late_12m": _DAYS,
    "months_since_late_30": _MONTHS,
    "unpaid_amount_ratio_12m": _SHARE,
    "worst_dpd_12m": _DAYS,
    "n_months_30dpd_24m": (
        0.0,
        24.0,
        N_("a number of months in the last 24 lies between 0 and 24"),
    ),
    "card_utilisation": (0.0, 2.0, N_("card balances lie between 0 and twice the card limits")),
    "months_since_oldest_opened": _MONTHS,
    "n_open_accounts": _COUNT,
    "any_default_36m": (0.0, 1.0, N_("a yes/no mark is 0 or 1")),
    "months_since_delinquency": _MONTHS,
    "n_inquiries_6m": _COUNT,
    "n_unsatisfied_public_records": _COUNT,
    "unsatisfied_public_record_amount": (0.0, None, N_("an amount owed is never negative")),
    "months_since_public_record": _MONTHS,
}
