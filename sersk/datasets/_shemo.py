"""ShEMO file names: ``female/F01A01.wav``, gender, speaker, emotion letter, utterance.

The Sharif Emotional Speech Database (Mohamad Nezami, Jamshid Lou & Karami, 2019, Language
Resources and Evaluation 53(1): 1-16; https://github.com/mansourehk/ShEMO; free for academic
use): 3,000 semi-natural Persian utterances from radio plays, 87 speakers (31 women, 56 men),
labelled anger, fear, happiness, sadness, surprise or neutral by majority vote of 12
annotators. As distributed (``female.zip``, ``male.zip``) the files are named by the speaker's
gender (``F``/``M``) and two-digit number, the emotion's letter (``A`` anger, ``F`` fear,
``H`` happiness, ``N`` neutral, ``S`` sadness, ``W`` surprise, "wonder") and the utterance
number: ``F01A01.wav``. Speaker ``F01`` and speaker ``M01`` are different people.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import SHEMO_EMOTIONS

__all__ = ["SHEMO", "parse_shemo"]

_NAME = re.compile(r"^([FM])(\d\d)([AFHNSW])(\d\d)$", re.IGNORECASE)
_GENDERS = {"F": "female", "M": "male"}


def parse_shemo(path: PurePath) -> Record | None:
    """The fields of a ShEMO file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"shemo-F01"``), ``gender``, ``original_label`` (the
        letter) and ``utterance``.

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_shemo(PurePath("male/M12W03.wav"))
    >>> record["emotion"], record["speaker"], record["gender"], record["utterance"]
    ('surprised', 'shemo-M12', 'male', 3)
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    gender, number, label, utterance = match.groups()
    gender, label = gender.upper(), label.upper()
    return {
        "emotion": SHEMO_EMOTIONS[label],
        "speaker": f"shemo-{gender}{number}",
        "gender": _GENDERS[gender],
        "original_label": label,
        "utterance": int(utterance),
    }


SHEMO = CorpusSpec(
    name="shemo",
    title="ShEMO",
    parse=parse_shemo,
    layout="files named like F01A01.wav (gender, speaker, emotion letter, utterance), usually "
    "in female/ and male/ folders",
    aliases=("sharif",),
    folder_names=("shemo", "ShEMO-master", "sharif-emotional-speech-database"),
    n_files=3000,
    url="https://github.com/mansourehk/ShEMO",
)
