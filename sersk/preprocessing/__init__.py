"""Preprocessing of pooled features that needs more than the features: the speaker of each row.

- :class:`SpeakerStandardScaler` (and :func:`standardize_per_speaker`): each speaker's rows
  standardised with that speaker's own statistics. Test speakers are normalised with their
  own unlabelled clips, so results with it are **transductive**; it is never part of a
  named pipeline by default.
"""

from ._speaker import SpeakersMissingError, SpeakerStandardScaler, standardize_per_speaker

__all__ = ["SpeakerStandardScaler", "SpeakersMissingError", "standardize_per_speaker"]
