"""Errors and warnings raised by trustscore.

Every error derives from :class:`TrustScoreError`; each leaf also derives from the
builtin exception a caller would expect, so ``except ValueError`` keeps working::

    TrustScoreError(Exception)
    ├── SchemaError(.., ValueError)           a record, file or table breaks its schema
    │   └── IngestError                       a furnisher file cannot be read at all
    ├── ProhibitedInputError(.., ValueError)  political, social, browsing or protected inputs
    ├── ArtifactError(.., ValueError)         a model artifact is malformed or was edited
    ├── ModelError(.., ValueError)            a model cannot be fitted on this data
    ├── PurposeError(.., PermissionError)     a score used for a purpose not approved
    │   └── NeverApprovablePurposeError       ... for a purpose that can never be approved
    ├── BlacklistError(.., PermissionError)   a request to publish subject-level negative lists
    ├── ApprovalError(.., PermissionError)    a model approval or champion move refused
    ├── EngineError(.., RuntimeError)         an engine or an optional package is missing
    ├── NotFoundError(.., LookupError)        a subject, record, dispute, ... does not exist
    └── LedgerError(.., RuntimeError)         the system of record refused a write
        └── AuditChainError                   the audit chain does not verify

    TrustScoreWarning(UserWarning)
    ├── DataQualityWarning                    data was accepted but looks suspicious
    └── ProxyWarning                          a characteristic predicts a protected attribute
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApprovalError",
    "ArtifactError",
    "AuditChainError",
    "BlacklistError",
    "DataQualityWarning",
    "EngineError",
    "IngestError",
    "LedgerError",
    "ModelError",
    "NeverApprovablePurposeError",
    "NotFoundError",
    "ProhibitedInputError",
    "ProxyWarning",
    "PurposeError",
    "SchemaError",
    "SettingsError",
    "TrustScoreError",
    "TrustScoreWarning",
]


class TrustScoreError(Exception):
    """Root of every error trustscore raises.

    Keyword arguments are kept as context (file, line, field, value, model version, ...)
    so a CLI or an API can show them without parsing the message.
    """

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = {k: v for k, v in context.items() if v is not None}

    def __str__(self) -> str:
        return self.message


class SchemaError(TrustScoreError, ValueError):
    """A record, a furnisher file or a table does not match its schema."""


class IngestError(SchemaError):
    """A furnisher file cannot be read at all; nothing from it was stored."""


class ProhibitedInputError(TrustScoreError, ValueError):
    """An input trustscore refuses by design (see :mod:`trustscore.safeguards`)."""


class ArtifactError(TrustScoreError, ValueError):
    """A model artifact is malformed, of an unknown schema version, or fails its hash."""


class ModelError(TrustScoreError, ValueError):
    """A model cannot be fitted or evaluated on the data given."""


class PurposeError(TrustScoreError, PermissionError):
    """A score was requested for a purpose that is not approved for this model or client."""


class NeverApprovablePurposeError(PurposeError):
    """A score was requested for a purpose that can never be approved."""


class BlacklistError(TrustScoreError, PermissionError):
    """Publishing subject-level negative lists is refused."""


class ApprovalError(TrustScoreError, PermissionError):
    """A model registry step refused: the registrant approving their own model (four eyes),
    a client without the role for it, or a model promoted for a purpose no validator approved."""


class EngineError(TrustScoreError, RuntimeError):
    """An engine or an optional package needed for it is not available."""


class NotFoundError(TrustScoreError, LookupError):
    """A subject, record, dispute, client or snapshot does not exist."""


class LedgerError(TrustScoreError, RuntimeError):
    """The ledger refused or failed a write."""


class AuditChainError(LedgerError):
    """The audit chain does not verify: an entry was edited, deleted or reordered."""


class SettingsError(TrustScoreError, ValueError):
    """A ``TRUSTSCORE_*`` setting does not parse or is out of range."""


class TrustScoreWarning(UserWarning):
    """Root of trustscore's warnings."""


class DataQualityWarning(TrustScoreWarning):
    """Data was accepted but looks suspicious (for example a characteristic that is constant)."""


class ProxyWarning(TrustScoreWarning):
    """A characteristic predicts a protected attribute given apart at or above the proxy
    screen's threshold (see :mod:`trustscore.model._proxy`): it may stand in for it."""
