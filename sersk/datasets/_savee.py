"""SAVEE file names: ``AudioData/DC/a01.wav``, or flattened as ``DC_a01.wav``.

Surrey Audio-Visual Expressed Emotion (Haq & Jackson, 2009): four male speakers (DC, JE, JK,
KL), each recording 15 sentences in each of six emotions and 30 neutral ones: 480 files. The
original release keeps one folder per speaker and names files by emotion prefix (a anger,
d disgust, f fear, h happiness, n neutral, sa sadness, su surprise) and sentence number; copies
found online often flatten this to ``DC_a01.wav``. Both are read.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import SAVEE_EMOTIONS

__all__ = ["SAVEE", "parse_savee"]

_SPEAKERS = ("DC", "JE", "JK", "KL")
_SENTENCE = re.compile(r"^(sa|su|a|d|f|h|n)(\d\d)$")
# The speaker's initials in front of the sentence: "DC_a01" (Kaggle copies) or "DCa01".
_FLAT = re.compile(r"^(DC|JE|JK|KL)_?(.+)$")


def parse_savee(path: PurePath) -> Record | None:
    """The fields of a SAVEE file name (and its speaker folder), or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; its name, and for the original layout its folder's name (the speaker).

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"savee-DC"``), ``gender`` (male), ``original_label`` and
        ``sentence`` (its number within the emotion).

    Examples
    --------
    >>> from pathlib import PurePath
    >>> parse_savee(PurePath("AudioData/JK/sa03.wav"))["speaker"]
    'savee-JK'
    >>> parse_savee(PurePath("ALL/DC_su12.wav"))["emotion"]
    'surprised'
    """
    stem = path.stem
    speaker = path.parent.name
    flat = _FLAT.match(stem)
    if flat is not None:
        speaker, stem = flat.groups()
    if speaker not in _SPEAKERS:
        return None
    match = _SENTENCE.match(stem)
    if match is None:
        return None
    label, number = match.group(1), int(match.group(2))
    if not 1 <= number <= (30 if label == "n" else 15):
        return None
    return {
        "emotion": SAVEE_EMOTIONS[label],
        "speaker": f"savee-{speaker}",
        "gender": "male",
        "original_label": label,
        "sentence": number,
    }


SAVEE = CorpusSpec(
    name="savee",
    title="SAVEE",
    parse=parse_savee,
    layout="files named like a01.wav, sa12.wav in speaker folders DC/, JE/, JK/, KL/ "
    "(AudioData/DC/a01.wav), or flattened as DC_a01.wav",
    aliases=("surrey",),
    folder_names=("savee", "surrey-audiovisual-expressed-emotion-savee"),
    n_files=480,
    url="http://kahlan.eps.surrey.ac.uk/savee/",
)
