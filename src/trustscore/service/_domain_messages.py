"""Domain errors in the request's language.

The library writes its errors' messages in English, with the values in them. The service looks
a message up in the catalogue by its text; where no catalogue holds it, it gives a sentence of
the error's kind from its context (the purpose refused, the purposes allowed, ...), and the
caller keeps the English message beside it, so nothing is lost.

Examples
--------
>>> from trustscore.exceptions import NotFoundError, PurposeError
>>> domain_message(PurposeError("...", purpose="travel"), "zh-CN")
('用途 travel 未获批准，评分不得用于该用途。', False)
>>> domain_message(NotFoundError("No subject 's9'.", subject_id="s9"), "zh-CN")[0]
'找不到请求所指的对象（subject_id：s9）。'
>>> retire = "The purpose 'rent_deposit' has no champion to retire for persons."
>>> domain_message(NotFoundError(retire), "zh-CN")
("用途 'rent_deposit' 没有可退役的个人冠军模型。", True)
"""

from __future__ import annotations

from typing import Final

from trustscore.decisions import purpose_words
from trustscore.exceptions import (
    ArtifactError,
    AuditChainError,
    BlacklistError,
    EngineError,
    LedgerError,
    ModelError,
    NeverApprovablePurposeError,
    NotFoundError,
    ProhibitedInputError,
    PurposeError,
    SchemaError,
    TrustScoreError,
)
from trustscore.i18n import N_, catalogue, translate, unformat

__all__ = ["domain_message"]

#: A sentence for each kind of domain error, looked up along the exception's MRO.
_KIND: Final[dict[type[TrustScoreError], str]] = {
    BlacklistError: N_(
        "Refused: trustscore never publishes subject-level negative lists (blacklists); each "
        "subject sees their own file, and aggregates are published only without subject "
        "identifiers."
    ),
    NotFoundError: N_("What the request names was not found."),
    ProhibitedInputError: N_("The request uses an input trustscore refuses by design."),
    SchemaError: N_("The request is not valid."),
    AuditChainError: N_("The audit chain does not verify; the operator has been told."),
    LedgerError: N_("The request conflicts with the current state of the file."),
    EngineError: N_("The service is unavailable just now; try again later."),
    ArtifactError: N_("An error occurred on the server; it was logged."),
    ModelError: N_("An error occurred on the server; it was logged."),
    TrustScoreError: N_("An error occurred on the server; it was logged."),
}


#: The library's messages over the API that carry values, as catalogue templates: a message that
#: matches one is given in the request's language with its values (a value that is itself a
#: catalogue message, such as "none", is translated too).
_TEMPLATES: Final = (
    N_(
        "Client {validator} registered model {version} and cannot also approve it: approval "
        "needs a second person (four eyes). Another validator must read its report and approve it."
    ),
    N_(
        "Model {version} is not meant for {purposes}: its card lists its intended uses as "
        "{intended}. Approve only those."
    ),
    N_(
        "Model {version} is not approved for {purpose} by a validator (approved for: "
        "{approved}); it cannot be its champion. A validator approves it with trustscore model "
        "approve."
    ),
    N_("The purpose {purpose} has no champion to retire for {subject_kind}s."),
    # identity changes: merge, split, and the subjects they name
    N_("No subject {subject_id} in the record store."),
    N_("A merge needs two different subjects; got {subject_id} twice."),
    N_(
        "Subject {keep} is a {keep_kind} and {merge} a {merge_kind}: a person's file and an "
        "organisation's are never merged."
    ),
    N_("Identity profile {profile_id} is not linked to subject {subject_id}."),
    N_("The {kind} record {record_id} is not in subject {subject_id}'s file now."),
    N_("A split of subject {subject_id} must move at least one record or profile."),
    # monitoring runs and held batches
    N_("No monitoring run {run_id} is kept in this workspace."),
    N_("There is no held batch {hold_id}. List the holds to find its id."),
    N_("Held batch {hold_id} is already {status} (by {resolver}); a hold is resolved once."),
    N_("The purpose {purpose} had no earlier champion to roll back to."),
    N_("No model with content hash {model_hash} is registered (trustscore model list)."),
    N_(
        "{ref} names no registered model: no content hash matches and several models have that "
        "version (trustscore model list)."
    ),
    N_(
        "{ref} names no registered model: no content hash matches and no model has that version "
        "(trustscore model list)."
    ),
)
#: Values inside the templates' messages that are words, not data (any value a catalogue holds
#: is translated).
_VALUE_WORDS: Final = (N_("none"), N_("nothing yet"), N_("person"), N_("organisation"))


def _from_template(message: str, locale: str) -> str | None:
    for template in _TEMPLATES:
        found = unformat(template, message)
        if found is not None:
            words = catalogue(locale)
            params = {k: words.get(v, v) for k, v in found.items()}
            return translate(locale, template, **params)
    return None


def _purposes(names: object, locale: str) -> str:
    if not isinstance(names, list | tuple):
        return ""
    return translate(locale, ", ").join(purpose_words(str(n), locale) for n in names)


def domain_message(exc: TrustScoreError, locale: str) -> tuple[str, bool]:
    """The message of ``exc`` in ``locale``, and whether it is the message itself (True) or a
    sentence of its kind (False: the caller keeps the English message beside it)."""
    if exc.message in catalogue(locale):
        return translate(locale, exc.message), True
    from_template = _from_template(exc.message, locale)
    if from_template is not None:
        return from_template, True
    ctx = exc.context
    purpose = ctx.get("purpose")
    if isinstance(exc, NeverApprovablePurposeError) and isinstance(purpose, str):
        return translate(
            locale,
            "The purpose {purpose} can never be approved: a score may not be used for it (EU AI "
            "Act Art. 5(1)(c)(i) forbids detrimental treatment in a context unrelated to the "
            "data).",
            purpose=purpose,
        ), False
    if isinstance(exc, PurposeError) and isinstance(purpose, str):
        if "allowed" in ctx:
            return translate(
                locale,
                "This client may use scores only for {allowed}; it asked for {purpose}. An admin "
                "can create a client for that purpose if the model card approves it.",
                allowed=_purposes(ctx["allowed"], locale),
                purpose=purpose,
            ), False
        return translate(
            locale, "The purpose {purpose} is not approved; a score may not be used for it.",
            purpose=purpose,
        ), False  # fmt: skip
    if isinstance(exc, NotFoundError) and ctx:
        name, value = next(iter(ctx.items()))
        return translate(
            locale, "What the request names was not found ({name}: {value}).",
            name=name, value=value,
        ), False  # fmt: skip
    for cls in type(exc).__mro__:
        if cls in _KIND:
            return translate(locale, _KIND[cls]), False
    return exc.message, True  # pragma: no cover - TrustScoreError is always in the MRO
