"""Evaluation protocols: speaker-independent splitting and cross-validation.

The default everywhere is speaker-independent: no speaker has clips in both the training and
the test data. The random, speaker-dependent split is available on request and is labelled
as such in every result. Leave-one-speaker-out (``protocol="loso"``) tests each speaker in
turn, leave-one-corpus-out (``protocol="loco"``) each corpus; :func:`cross_corpus_evaluate`
trains on some corpora and tests on another, over the emotions they share. Pipelines that
normalise each test speaker or domain with their own clips are transductive, and labelled so.
:func:`find_duplicates` finds the same recording (exact or re-encoded, resampled, louder,
trimmed) on both sides of a split.
"""

from ._cross_corpus import cross_corpus_evaluate, cross_corpus_label, shared_emotions
from ._duplicates import DUPLICATE_THRESHOLD, audio_fingerprint, find_duplicates, split_duplicates
from ._search import SEARCHES, nested_cross_validate
from ._split import (
    CORPUS_GROUPED,
    PROTOCOLS,
    SPEAKER_GROUPED,
    LeaveOneCorpusOut,
    LeaveOneSpeakerOut,
    ProtocolError,
    SpeakerDependentKFold,
    SpeakerStratifiedKFold,
    check_speaker_disjoint,
    check_speakers_known,
    make_splitter,
)
from ._transductive import speaker_routes, transductive_label
from ._validation import (
    PROBA_PREFIX,
    CrossValidationError,
    cross_validate_speakers,
    tabulate_folds,
)

__all__ = [
    "CORPUS_GROUPED",
    "PROBA_PREFIX",
    "PROTOCOLS",
    "SEARCHES",
    "CrossValidationError",
    "DUPLICATE_THRESHOLD",
    "LeaveOneCorpusOut",
    "LeaveOneSpeakerOut",
    "ProtocolError",
    "SPEAKER_GROUPED",
    "SpeakerDependentKFold",
    "SpeakerStratifiedKFold",
    "audio_fingerprint",
    "check_speaker_disjoint",
    "check_speakers_known",
    "cross_corpus_evaluate",
    "cross_corpus_label",
    "cross_validate_speakers",
    "find_duplicates",
    "make_splitter",
    "nested_cross_validate",
    "shared_emotions",
    "speaker_routes",
    "split_duplicates",
    "tabulate_folds",
    "transductive_label",
]
