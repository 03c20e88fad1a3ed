"""MESD file names: ``Anger_F_A_abajo.wav``, emotion-voice-word corpus-word; no speaker.

The Mexican Emotional Speech Database (Duville, Alonso-Valerdi & Ibarra-Zarate, "The Mexican
Emotional Speech Database (MESD): elaboration and assessment based on machine learning", IEEE
EMBC 2021, and "Mexican Emotional Speech Database Based on Semantic, Frequency, Familiarity,
Concreteness, and Cultural Shaping of Affective Prosody", Data 6(12):130, 2021; Mendeley Data,
https://data.mendeley.com/datasets/cy34mh68j9, doi:10.17632/cy34mh68j9; CC BY 4.0): single
Mexican Spanish words said with anger, disgust, fear, happiness, sadness or neutrally by
non-professional actors, 3 women, 2 men and 6 children (mean ages 23, 24 and 10). Words come
from two word corpora: A, repeated across emotions and voice types, and B, chosen per emotion
and controlled for age of acquisition, frequency, familiarity and concreteness.

As released (version 5; also the Kaggle copy ``cy34mh68j9-5/``) the human recordings lie in
``Mexican Emotional Speech Database (MESD)/``, each named ``EMOTION_VOICE_CORPUS_WORD``: the
emotion in English (``Anger``, ``Disgust``, ``Fear``, ``Happiness``, ``Neutral``,
``Sadness``), the type of voice (``F`` female adult, ``M`` male adult, ``C`` child), the word
corpus (``A``, ``B``) and the word, accents dropped, its spaces written as underscores
(``Fear_M_A_por_favor.wav``). Version 5 adds two naturalness-reduced versions of the female
voices' corpus B words (level 1 and level 2: duration, pitch, formants and harmonics edited
from the human recordings), named with the level after the word corpus, as third-party
readers of the release parse them (``Anger_F_B_L1_ataque.wav``; the authors' own text seen
here does not spell the token, so ``L1``, ``Level1`` and ``1`` are all read). They are
processed copies of clips already listed, not new recordings, so they are left out of the
default selection (``frame.attrs["skipped"]``).

**Speakers are unknown.** The names give the type of voice but not which of the 11 speakers
speaks, and the record's description lists no files per speaker, so ``speaker`` is missing
(None) for every clip and ``frame.attrs["unknown_speakers"]`` says why. Speaker-independent
evaluation is impossible on MESD alone: speaker-grouped cross-validation (``protocol="speaker"``
or ``"loso"``) refuses the frame, and ``protocol="random"`` runs, labelled speaker-dependent.
Combined with other corpora, the combined frame is refused for the same reason, because of
MESD's rows; leave-one-corpus-out (``protocol="loco"``) needs no speakers. Grouping by the
``voice`` column instead (three groups: no speaker has two types of voice) does keep speakers
apart, at the cost of testing on a voice type never seen in training.

``gender`` is the adult voices' (female, male); the children's is missing, since the
documentation calls them child voices without saying which are girls or boys. ``voice`` keeps
the documented type of voice (female, male, child) for every clip.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import MESD_EMOTIONS

__all__ = ["MESD", "parse_mesd"]

_NAME = re.compile(
    r"^(anger|disgust|fear|happiness|neutral|sadness)_([fmc])_([ab])_"
    r"(?:(?:l|level)?([12])_)?([^\W_]+(?:_[^\W_]+)*)$",
    re.IGNORECASE,
)
_VOICES = {"F": "female", "M": "male", "C": "child"}
_GENDERS = {"F": "female", "M": "male", "C": None}


def parse_mesd(path: PurePath) -> Record | None:
    """The fields of an MESD file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (always None: the names do not say), ``gender`` (None for
        children), ``original_label`` (the English word, ``"Anger"``), ``voice`` (female,
        male, child), ``word_corpus`` (``"A"`` or ``"B"``), ``word`` (``"por favor"``) and
        ``naturalness`` (None for the human recordings, else the reduced level 1 or 2; read
        only to leave those out).

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_mesd(PurePath("Fear_M_A_por_favor.wav"))
    >>> record["emotion"], record["speaker"], record["gender"], record["word"]
    ('fearful', None, 'male', 'por favor')
    >>> record = parse_mesd(PurePath("Happiness_C_B_relax.wav"))
    >>> record["voice"], record["gender"] is None, record["word_corpus"]
    ('child', True, 'B')
    >>> parse_mesd(PurePath("Anger_F_B_L2_ataque.wav"))["naturalness"]
    2
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    label, voice, corpus, level, word = match.groups()
    label, voice = label.capitalize(), voice.upper()
    return {
        "emotion": MESD_EMOTIONS[label],
        "speaker": None,
        "gender": _GENDERS[voice],
        "original_label": label,
        "voice": _VOICES[voice],
        "word_corpus": corpus.upper(),
        "word": word.replace("_", " "),
        "naturalness": None if level is None else int(level),
    }


def _human_voice(record: Record) -> bool:
    return record["naturalness"] is None


MESD = CorpusSpec(
    name="mesd",
    title="MESD",
    parse=parse_mesd,
    layout="files named EMOTION_VOICE_CORPUS_WORD.wav (e.g. Mexican Emotional Speech "
    "Database (MESD)/Anger_F_A_abajo.wav)",
    aliases=("mexican-emotional-speech-database",),
    folder_names=("mesd", "Mexican Emotional Speech Database (MESD)", "cy34mh68j9-5",
                  "mexican-emotional-speech-databasemesd"),
    keep=_human_voice,
    selection="human voices, not the naturalness-reduced versions",
    selection_columns=("naturalness",),
    url="https://data.mendeley.com/datasets/cy34mh68j9",
    unknown_speakers="MESD's file names give the type of voice (female, male or child) but not "
    "which of its 11 speakers speaks",
)
