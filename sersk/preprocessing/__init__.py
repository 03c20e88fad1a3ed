"""Preprocessing of pooled features that needs more than the features: the domain of each row.

- :class:`DomainStandardScaler`: each domain's rows (a corpus, a session, a folder) standardised
  with that domain's own statistics; a new domain's statistics come from its own unlabelled
  clips, so results with it are **transductive** (adaptation from unlabelled audio).
  :func:`adapt_pipeline` puts one in place of a pipeline's StandardScaler, fitted or not.
- :class:`SpeakerStandardScaler` (and :func:`standardize_per_speaker`): the same with the
  speakers as domains. Neither is part of a named pipeline by default.
"""

from ._domain import (
    DEFAULT_MIN_CLIPS,
    DomainStandardScaler,
    DomainTooSmallError,
    adapt_pipeline,
    fit_domain,
)
from ._speaker import SpeakersMissingError, SpeakerStandardScaler, standardize_per_speaker

__all__ = [
    "DEFAULT_MIN_CLIPS",
    "DomainStandardScaler",
    "DomainTooSmallError",
    "SpeakerStandardScaler",
    "SpeakersMissingError",
    "adapt_pipeline",
    "fit_domain",
    "standardize_per_speaker",
]
