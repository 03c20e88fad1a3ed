"""URDU file names: ``Angry/SM1_F10_A010.wav``, speaker, clip, emotion, in emotion folders.

The URDU dataset (Latif, Qayyum, Usman & Qadir, 2018, "Cross Lingual Speech Emotion Recognition:
Urdu vs. Western Languages", FIT 2018, arXiv:1812.10411; https://github.com/siddiquelatif/URDU-Dataset;
for research use only): 400 utterances from Urdu television talk shows, four emotions (angry,
happy, neutral, sad), 38 speakers (27 male, 11 female). Its README says the data are sorted into
one folder per emotion (``Angry/``, ``Happy/``, ``Neutral/``, ``Sad/``). The file names are not
spelt out there; as released they read ``S{M|F}{n}_F{k}_{E}{m}``: the speaker (``SM1``, the first
male speaker; ``SF3``, the third female one, numbered across the folders: 27 ``SM`` and 11 ``SF``
ids, as the README counts), the speaker's clip number, and the emotion's initial with the
clip's number within the emotion (``A010``). The folder is read too: where it names another
emotion than the file, the folder's is used (``frame.attrs["from_folder"]``).
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import URDU_EMOTIONS

__all__ = ["URDU", "parse_urdu"]

_NAME = re.compile(r"^S([MF])(\d+)_F(\d+)_([AHNS])(\d+)$", re.IGNORECASE)
_GENDERS = {"M": "male", "F": "female"}
_FOLDERS = {"angry": "angry", "happy": "happy", "neutral": "neutral", "sad": "sad"}


def parse_urdu(path: PurePath) -> Record | None:
    """The fields of an URDU file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"urdu-SM1"``), ``gender``, ``original_label`` (the letter)
        and ``clip`` (the speaker's clip number).

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_urdu(PurePath("Happy/SF6_F10_H034.wav"))
    >>> record["emotion"], record["speaker"], record["gender"], record["clip"]
    ('happy', 'urdu-SF6', 'female', 10)
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    gender, number, clip, label, _ = match.groups()
    gender, label = gender.upper(), label.upper()
    return {
        "emotion": URDU_EMOTIONS[label],
        "speaker": f"urdu-S{gender}{int(number)}",
        "gender": _GENDERS[gender],
        "original_label": label,
        "clip": int(clip),
    }


def _parse_folder(path: PurePath) -> Record | None:
    emotion = _FOLDERS.get(path.parent.name.lower())
    return None if emotion is None else {"emotion": emotion}


URDU = CorpusSpec(
    name="urdu",
    title="URDU",
    parse=parse_urdu,
    layout="files named SM1_F10_A010.wav (speaker, clip, emotion) in emotion folders Angry/, "
    "Happy/, Neutral/, Sad/",
    aliases=("urdu-dataset",),
    folder_names=("urdu", "urdu-dataset", "URDU-Dataset-master", "URDU-Dataset-main"),
    parse_folder=_parse_folder,
    n_files=400,
    url="https://github.com/siddiquelatif/URDU-Dataset",
)
