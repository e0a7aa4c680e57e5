"""The refusals trustscore is built around, in one place.

Every layer that takes inputs or purposes checks them here, so the list of what is refused
is written once and tested once:

- purposes: a score may be used only for the purposes in :data:`APPROVABLE_PURPOSES`, and only
  where the model card lists the purpose; :data:`NEVER_APPROVABLE_PURPOSES` can never be listed
  (EU AI Act Art. 5(1)(c)(i): detrimental treatment in an unrelated context);
- inputs: political opinion or allegiance, religion, ethnicity, health, biometrics and other
  protected characteristics, social relationships, and browsing, web queries or preferences are
  refused as record fields and as model characteristics (GDPR Art. 9, ECOA/Regulation B);
- lineage: a characteristic computed from a prohibited source (a record kind or field of
  :data:`PROHIBITED_SOURCES`, or a field whose name is refused) is refused whatever its own
  name (:func:`check_lineage`);
- blacklists: subject-level negative lists are never published.

How a name is read: it is split into words (snake_case, camelCase, spaces, dots); a fragment of
:data:`PROHIBITED_INPUTS` is a hit when it is one of those words (or, for a fragment with
underscores, a run of them). Two words mean something else in some names:

- ``age`` (``ages``) is a *person's* age unless a thing owns it: the nearest word
  before it, passing over modifiers such as ``avg``, ``max`` or a number, is a noun that is not
  a person (``OWN_CAR_AGE``, ``account_age_months``, ``oldest_account_age``), or it reads
  ``age_of_<thing>`` (``age_of_oldest_account``). ``age``, ``AGE_YEARS``, ``avg_age``,
  ``applicant_age`` and ``age_of_applicant`` are refused; ``birth`` and ``dob`` always are
  (``DAYS_BIRTH``).
- ``party`` after ``third`` or ``counter`` is a party to a contract, not a political party.

A name screen cannot see what a column carries: a renamed column passes it. That is what
lineage (:func:`check_lineage`) and the model's proxy screen
(:mod:`trustscore.model._proxy`) are for.

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
>>> prohibited_category("OWN_CAR_AGE") is None, prohibited_category("applicant_age")
(True, 'protected characteristic')
>>> prohibited_source("clickstream.url")
'browsing, web queries or preferences'
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Final

from trustscore._names import AGE_WORDS, is_person_age, words_of
from trustscore.exceptions import (
    BlacklistError,
    NeverApprovablePurposeError,
    ProhibitedInputError,
    PurposeError,
    SchemaError,
)

__all__ = [
    "APPROVABLE_PURPOSES",
    "IDENTITY_DATA",
    "NEVER_APPROVABLE_PURPOSES",
    "PROHIBITED_INPUTS",
    "PROHIBITED_SOURCES",
    "check_input_names",
    "check_lineage",
    "check_purpose_approvable",
    "prohibited_category",
    "prohibited_source",
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
    "religion or belief": (
        "religion",
        "religions",
        "religious",
        "religiosity",
        "faith",
        "belief",
        "beliefs",
        "church",
        "mosque",
        "synagogue",
        "temple",
        "worship",
        "spirituality",
    ),
    "protected characteristic": (
        "ethnicity",
        "ethnic",
        "race",
        "racial",
        "caste",
        "nationality",
        "citizenship",
        "sex",
        "gender",
        "age",
        "ages",
        "birth",
        "birthdate",
        "dob",
        "marital",
        "marriage",
        "family_status",
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
    # where someone lives stands in for ethnicity and nationality (redlining)
    "residential location (a proxy for ethnicity)": (
        "zip",
        "zipcode",
        "zip_code",
        "postcode",
        "postcodes",
        "postal",
        "post_code",
        "neighbourhood",
        "neighborhood",
    ),
    "social relationships": (
        "friend",
        "friends",
        "contacts",
        "follower",
        "followers",
        "social_graph",
        "social_circle",
        "social_network",
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
        "web_search",
        "web_searches",
        "queries",
        "search_query",
        "search_queries",
        "search_terms",
        "search_history",
        "clickstream",
        "clicks",
        "url",
        "urls",
        "preference",
        "preferences",
        "interests",
        "hobbies",
        "likes",
        "liked",
        "follows",
        "social_media",
        "posts",
        "tweets",
        "hashtags",
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

#: Sources no characteristic may be computed from, whatever they or their fields are called:
#: a record kind (every field of it) or one ``kind.field``. A source not listed here is still
#: refused when its kind's or field's name is (:func:`prohibited_category`).
PROHIBITED_SOURCES: Final[dict[str, tuple[str, ...]]] = {
    "protected attribute or identity field, held apart": ("protected", "identity"),
    "protected characteristic": (
        "health_records",
        "medical_records",
        "prescriptions",
        "wearables",
        "biometrics",
        "genetics",
        "demographics",
    ),
    "social relationships": (
        "contacts",
        "address_book",
        "call_log",
        "call_graph",
        "social_graph",
        "messages",
    ),
    "browsing, web queries or preferences": (
        "clickstream",
        "browsing_history",
        "web_history",
        "web_search",
        "search_log",
        "app_usage",
        "social_media",
        "ad_profile",
        "interest_profile",
        "survey_preferences",
    ),
}

# A fragment is not a hit where one of these words comes right before it ("third_party").
_ALLOWED_BEFORE: Final[dict[str, frozenset[str]]] = {
    "party": frozenset({"third", "counter", "counterparty"}),
}


def prohibited_category(name: str) -> str | None:
    """Return the refused category a field name belongs to, or None if it is allowed.

    See the module docstring for how a name is read.
    """
    words = words_of(name)
    joined = "_".join(words)
    # A field named exactly as an identity field is that field, even where its word also names
    # a proxy ("postcode"): refused as a characteristic either way, but linkage may read it.
    if joined in PROHIBITED_INPUTS[IDENTITY_DATA]:
        return IDENTITY_DATA
    for category, fragments in PROHIBITED_INPUTS.items():
        for fragment in fragments:
            parts = fragment.split("_")
            if len(parts) > 1:
                if joined == fragment or f"_{fragment}_" in f"_{joined}_":
                    return category
                continue
            for i, word in enumerate(words):
                if word != fragment:
                    continue
                if word in AGE_WORDS and not is_person_age(words, i):
                    continue
                if i > 0 and words[i - 1] in _ALLOWED_BEFORE.get(word, frozenset()):
                    continue
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


def prohibited_source(source: str) -> str | None:
    """Return the refused category of a lineage source ``"kind.field"`` (or ``"kind"``), or None.

    Examples
    --------
    >>> prohibited_source("tradeline.days_past_due") is None
    True
    >>> prohibited_source("person.religion"), prohibited_source("protected.group")
    ('religion or belief', 'protected attribute or identity field, held apart')
    """
    kind, _, field = source.partition(".")
    for category, sources in PROHIBITED_SOURCES.items():
        if kind in sources or source in sources:
            return category
    return prohibited_category(kind) or (prohibited_category(field) if field else None)


def check_lineage(
    lineage: Mapping[str, str | Sequence[str]],
    columns: Collection[str] | None = None,
    *,
    known_fields: Mapping[str, Collection[str]] | None = None,
    where: str = "model input",
) -> dict[str, list[str]]:
    """Refuse a characteristic whose declared lineage reaches a prohibited source.

    Parameters
    ----------
    lineage : mapping of str to str or sequence of str
        Column -> the record fields it is computed from, each ``"kind.field"`` (or ``"kind"``
        for a whole record kind), e.g. ``{"x17": ["clickstream.url"]}``.
    columns : collection of str, optional
        The columns given; a lineage entry for a column not among them is an error (a typo
        would otherwise leave the real column undeclared).
    known_fields : mapping of str to collection of str, optional
        Record kinds whose fields are known (trustscore's own schemas): a source of such a kind
        must name one of its fields.
    where : str
        What the columns are, for messages.

    Returns
    -------
    dict of str to list of str
        The lineage, each value a list.

    Raises
    ------
    ProhibitedInputError
        If a column's lineage reaches a prohibited source; the error's context names the
        column (``field``), the ``source`` and the ``category``.
    SchemaError
        If the lineage is malformed, names a column not given or a field its kind lacks.

    Examples
    --------
    >>> check_lineage({"x1": "tradeline.balance"})
    {'x1': ['tradeline.balance']}
    >>> check_lineage({"x17": ["tradeline.balance", "clickstream.url"]})
    Traceback (most recent call last):
    ...
    trustscore.exceptions.ProhibitedInputError: The model input 'x17' is computed from \
'clickstream.url', which is browsing, web queries or preferences...
    """
    out: dict[str, list[str]] = {}
    for column, given in lineage.items():
        sources = [given] if isinstance(given, str) else list(given)
        if (
            not isinstance(column, str)
            or not sources
            or not all(isinstance(x, str) and x.strip(". ") for x in sources)
        ):
            msg = (
                f"The lineage of {column!r} must be a non-empty list of sources "
                f"'kind.field' (e.g. ['tradeline.balance']). Got {given!r} instead."
            )
            raise SchemaError(msg, field=str(column), where=where)
        if columns is not None and column not in columns:
            msg = (
                f"The lineage names {column!r}, which is not a column of the {where}: "
                "declare the lineage of the columns given, under their names."
            )
            raise SchemaError(msg, field=column, where=where)
        for source in sources:
            kind, _, field = source.partition(".")
            fields = None if known_fields is None or not field else known_fields.get(kind)
            if fields is not None and field not in fields:
                msg = (
                    f"The lineage of {column!r} names {source!r}, but the record kind "
                    f"{kind!r} has no field {field!r}; its fields are: {', '.join(fields)}."
                )
                raise SchemaError(msg, field=column, source=source, where=where)
            category = prohibited_source(source)
            if category is not None:
                msg = (
                    f"The {where} {column!r} is computed from {source!r}, which is "
                    f"{category}: trustscore refuses any characteristic whose lineage reaches "
                    "such a field, whatever the column is called. Remove the column, or "
                    "compute it only from records of how the subject meets their own "
                    "obligations."
                )
                raise ProhibitedInputError(
                    msg, field=column, source=source, category=category, where=where
                )
        out[column] = sources
    return out


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
