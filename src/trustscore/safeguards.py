"""The refusals trustscore is built around, in one place.

Every layer that takes inputs or purposes checks them here, so the list of what is refused
is written once and tested once:

- purposes: a score may be used only for the purposes in :data:`APPROVABLE_PURPOSES`, and only
  where the model card lists the purpose; :data:`NEVER_APPROVABLE_PURPOSES` can never be listed
  (EU AI Act Art. 5(1)(c)(i): detrimental treatment in an unrelated context);
- inputs: political opinion or allegiance, religion, ethnicity, health, biometrics and other
  protected characteristics, social relationships, and browsing, web queries or preferences are
  refused as record fields and as model characteristics (GDPR Art. 9, ECOA/Regulation B);
- blacklists: subject-level negative lists are never published.

Examples
--------
>>> check_purpose_approvable("credit_pricing")
'credit_pricing'
>>> check_purpose_approvable("employment")
Traceback (most recent call last):
...
trustscore.exceptions.NeverApprovablePurposeError: The purpose 'employment' can never be approved...
>>> prohibited_category("party_affiliation")
'political opinion or allegiance'
>>> prohibited_category("days_past_due") is None
True
"""

from __future__ import annotations

import re
from typing import Final

from trustscore.exceptions import (
    BlacklistError,
    NeverApprovablePurposeError,
    ProhibitedInputError,
    PurposeError,
)

__all__ = [
    "APPROVABLE_PURPOSES",
    "IDENTITY_DATA",
    "NEVER_APPROVABLE_PURPOSES",
    "PROHIBITED_INPUTS",
    "check_input_names",
    "check_purpose_approvable",
    "prohibited_category",
    "refuse_blacklist",
]

APPROVABLE_PURPOSES: Final[dict[str, str]] = {
    "credit_pricing": "pricing tier of a consumer or business loan",
    "credit_limit": "credit limit of a card or credit line",
    "deposit_waiver": "waiving a deposit for a rental, utility or telecom contract",
}

NEVER_APPROVABLE_PURPOSES: Final[dict[str, str]] = {
    "education": "access to education is unrelated to meeting financial obligations",
    "employment": "hiring, firing or promotion is unrelated to meeting financial obligations",
    "travel": "freedom of movement is unrelated to meeting financial obligations",
    "venue_access": "access to venues is unrelated to meeting financial obligations",
    "public_services": "access to public services must not depend on a trust score",
    "housing_eligibility": "eligibility for housing must not depend on a trust score",
}

#: The category of identity fields (names, IDs, addresses): kept in the identity store.
IDENTITY_DATA: Final = "personal identity data"

# Name fragments, matched as whole words of snake_case / camelCase / spaced names.
PROHIBITED_INPUTS: Final[dict[str, tuple[str, ...]]] = {
    "political opinion or allegiance": (
        "political",
        "politics",
        "party",
        "party_affiliation",
        "party_member",
        "allegiance",
        "ideology",
        "vote",
        "voting",
        "voter",
        "protest",
        "petition",
    ),
    "religion or belief": ("religion", "religious", "faith", "belief", "church", "mosque"),
    "protected characteristic": (
        "ethnicity",
        "ethnic",
        "race",
        "racial",
        "nationality",
        "citizenship",
        "sex",
        "gender",
        "age",
        "birth",
        "birthdate",
        "dob",
        "marital",
        "marriage",
        "pregnancy",
        "disability",
        "health",
        "medical",
        "diagnosis",
        "biometric",
        "fingerprint",
        "genetic",
        "education",
        "sexual_orientation",
        "orientation",
        "union_member",
        "trade_union",
        "foreign_worker",
        "personal_status",
    ),
    "social relationships": (
        "friend",
        "friends",
        "contacts",
        "follower",
        "followers",
        "social_graph",
        "network_score",
        "relatives",
        "family_score",
        "associates",
        "neighbour",
        "neighbor",
    ),
    "browsing, web queries or preferences": (
        "browsing",
        "browser",
        "web_query",
        "web_queries",
        "search_query",
        "search_history",
        "clickstream",
        "clicks",
        "url",
        "urls",
        "preference",
        "preferences",
        "likes",
        "social_media",
        "posts",
        "app_usage",
    ),
    # Who a subject is decides which records are theirs (trustscore.identity), never their score.
    IDENTITY_DATA: (
        "national_id",
        "given_name",
        "family_name",
        "full_name",
        "forename",
        "surname",
        "address",
        "postcode",
        "zipcode",
        "city",
        "passport",
        "registration_code",
        "org_name",
    ),
}

# A fragment is not a hit where these words show the field is about an account, not a person
# ("oldest_account_age", "third_party_collections").
_ALLOWED_CONTEXT: Final[dict[str, frozenset[str]]] = {
    "age": frozenset(
        {
            "account",
            "accounts",
            "loan",
            "credit",
            "record",
            "records",
            "history",
            "file",
            "tradeline",
            "debt",
            "balance",
            "obligation",
            "oldest",
            "newest",
            "arrears",
            "months",
        }
    ),
    "party": frozenset({"third", "counterparty"}),
}

_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _words(name: str) -> list[str]:
    return [w for w in _WORD_SPLIT.split(_CAMEL.sub("_", name).lower()) if w]


def prohibited_category(name: str) -> str | None:
    """Return the refused category a field name belongs to, or None if it is allowed."""
    words = _words(name)
    joined = "_".join(words)
    for category, fragments in PROHIBITED_INPUTS.items():
        for fragment in fragments:
            parts = fragment.split("_")
            if len(parts) == 1 and parts[0] in words:
                if _ALLOWED_CONTEXT.get(fragment, frozenset()).isdisjoint(words):
                    return category
                continue
            if len(parts) > 1 and (joined == fragment or f"_{fragment}_" in f"_{joined}_"):
                return category
    return None


def check_input_names(names: list[str] | tuple[str, ...], *, where: str = "input") -> None:
    """Raise :class:`ProhibitedInputError` if any name is a refused kind of input."""
    for name in names:
        category = prohibited_category(name)
        if category is not None:
            msg = (
                f"The {where} field {name!r} looks like {category}, which trustscore refuses "
                "as an input by design: a score must rest only on how a subject meets their own "
                "obligations. Remove the field; protected attributes may be given only for "
                "fairness testing (the 'protected' argument), never as characteristics."
            )
            if category == IDENTITY_DATA:
                msg = (
                    f"The {where} field {name!r} is {category}, which trustscore uses only to "
                    "decide whose record a row is and never as a characteristic. Furnisher files "
                    "with identity fields go through linkage ('trustscore identity link'), which "
                    "keeps them in the identity store apart from the records."
                )
            raise ProhibitedInputError(msg, field=name, where=where, category=category)


def check_purpose_approvable(purpose: str) -> str:
    """Return ``purpose`` if a model card may list it; raise otherwise."""
    if purpose in NEVER_APPROVABLE_PURPOSES:
        msg = (
            f"The purpose {purpose!r} can never be approved: "
            f"{NEVER_APPROVABLE_PURPOSES[purpose]} (EU AI Act Art. 5(1)(c)(i) forbids "
            "detrimental treatment in a context unrelated to the data)."
        )
        raise NeverApprovablePurposeError(msg, purpose=purpose)
    if purpose not in APPROVABLE_PURPOSES:
        known = ", ".join(sorted(APPROVABLE_PURPOSES))
        msg = f"Unknown purpose {purpose!r}. Approvable purposes are: {known}."
        raise PurposeError(msg, purpose=purpose)
    return purpose


def refuse_blacklist(what: str = "a list of subjects with low scores") -> None:
    """Always raise: subject-level negative lists are never published."""
    msg = (
        f"Refused: publishing {what}. trustscore never publishes subject-level negative lists "
        "(blacklists); each subject sees their own file, and aggregates are published only "
        "without subject identifiers."
    )
    raise BlacklistError(msg, what=what)
