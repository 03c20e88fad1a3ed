"""SUBESCO file names: ``F_02_MONIKA_S_1_NEUTRAL_5.wav``.

The SUST Bangla Emotional Speech Corpus (Sultana, Rahman, Selim & Iqbal, 2021, PLoS ONE 16(4):
e0250173; https://doi.org/10.1371/journal.pone.0250173; CC BY 4.0): 20 professional actors
(10 women, 10 men) say 10 sentences in seven emotions (anger, disgust, fear, happiness,
neutral, sadness, surprise), five takes each: 7,000 clips. Its documentation gives the naming:
eight parts joined by underscores, gender (``F``/``M``), the speaker's serial number, the
speaker's name, the unit of recording (``S``, sentence) and its number, the emotion in English
capitals (``ANGRY``, ``DISGUST``, ``FEAR``, ``HAPPY``, ``NEUTRAL``, ``SAD``, ``SURPRISE``) and
the take number: ``F_02_MONIKA_S_1_NEUTRAL_5.wav``.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import SUBESCO_EMOTIONS

__all__ = ["SUBESCO", "parse_subesco"]

_EMOTION_WORDS = "|".join(SUBESCO_EMOTIONS)
_NAME = re.compile(
    rf"^([MF])_(\d\d)_([A-Z]+)_S_(\d+)_({_EMOTION_WORDS})_(\d+)$", re.IGNORECASE
)
_GENDERS = {"M": "male", "F": "female"}


def parse_subesco(path: PurePath) -> Record | None:
    """The fields of a SUBESCO file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"subesco-F02"``: gender and serial number), ``gender``,
        ``original_label`` (the English word), ``speaker_name``, ``sentence`` and ``take``.

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_subesco(PurePath("F_02_MONIKA_S_1_NEUTRAL_5.wav"))
    >>> record["emotion"], record["speaker"], record["gender"], record["sentence"]
    ('neutral', 'subesco-F02', 'female', 1)
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    gender, number, name, sentence, label, take = match.groups()
    gender, label = gender.upper(), label.upper()
    return {
        "emotion": SUBESCO_EMOTIONS[label],
        "speaker": f"subesco-{gender}{number}",
        "gender": _GENDERS[gender],
        "original_label": label,
        "speaker_name": name.upper(),
        "sentence": int(sentence),
        "take": int(take),
    }


SUBESCO = CorpusSpec(
    name="subesco",
    title="SUBESCO",
    parse=parse_subesco,
    layout="files named GENDER_NN_NAME_S_N_EMOTION_TAKE.wav (e.g. F_02_MONIKA_S_1_NEUTRAL_5.wav)",
    aliases=("sust-bangla",),
    folder_names=("subesco", "sust-bangla-emotional-speech-corpus"),
    n_files=7000,
    url="https://doi.org/10.1371/journal.pone.0250173",
)
