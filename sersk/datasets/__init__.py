"""Emotional speech corpora as DataFrames, their downloads, and a synthetic corpus.

- :func:`load_corpus` lists any of the corpora of :func:`available_corpora` (RAVDESS, CREMA-D,
  TESS, SAVEE, EmoDB, nEMO, EMOVO, ASED, TurEV-DB, URDU, SUBESCO, ShEMO, JL-Corpus, ESD, CaFE,
  AESDD, eNTERFACE'05, MESD), or several at once, from their file names and folders, with
  emotions harmonised to :data:`EMOTIONS` and speaker ids unique across corpora (MESD's are
  unknown); no audio is decoded.
- :func:`fetch_corpus` downloads those with a stable public address (RAVDESS, EmoDB, CaFE,
  nEMO, URDU) into the data home (:func:`get_data_home`), verified, extracted atomically.
- :func:`make_emotional_speech` synthesises a small labelled corpus of speech-like sounds (not
  real speech) for tests and examples.
- :func:`load_labelled_audio` lists your own recordings, from a label file (CSV/TSV with
  ``path`` and ``emotion`` columns) or a folder per emotion, in the same columns;
  :func:`load_corpus` accepts their paths beside corpus names.
- :func:`audio_inputs` turns any of these frames into the list a pipeline takes;
  :func:`screen_clips` leaves out (and lists) the clips that cannot be used.
"""

from ._corpus import CorpusSpec, CorpusWarning
from ._emotions import EMOTIONS
from ._fetch import fetch_corpus
from ._home import get_data_home
from ._labelled import load_labelled_audio
from ._load import audio_inputs, available_corpora, get_corpus_spec, load_corpus
from ._screening import screen_clips
from ._synthetic import make_emotional_speech

__all__ = [
    "EMOTIONS",
    "CorpusSpec",
    "CorpusWarning",
    "audio_inputs",
    "available_corpora",
    "fetch_corpus",
    "get_corpus_spec",
    "get_data_home",
    "load_corpus",
    "load_labelled_audio",
    "make_emotional_speech",
    "screen_clips",
]
