"""Evaluation protocols: speaker-independent splitting and cross-validation.

The default everywhere is speaker-independent: no speaker has clips in both the training and
the test data. The random, speaker-dependent split is available on request and is labelled
as such in every result.
"""

from ._split import (
    PROTOCOLS,
    ProtocolError,
    SpeakerDependentKFold,
    SpeakerStratifiedKFold,
    check_speaker_disjoint,
    make_splitter,
)
from ._validation import CrossValidationError, cross_validate_speakers, tabulate_folds

__all__ = [
    "PROTOCOLS",
    "CrossValidationError",
    "ProtocolError",
    "SpeakerDependentKFold",
    "SpeakerStratifiedKFold",
    "check_speaker_disjoint",
    "cross_validate_speakers",
    "make_splitter",
    "tabulate_folds",
]
