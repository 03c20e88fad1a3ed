"""AESDD file names: ``anger/a03 (4).wav``, emotion letter, utterance, (speaker), take.

The Acted Emotional Speech Dynamic Database, Greek (Vryzas, Kotsakis, Liatsou, Dimoulas &
Kalliris, 2018, J. Audio Eng. Soc. 66(6): 457-467; http://m3c.web.auth.gr/research/aesdd-speech-emotion-recognition/;
free for research, cite the papers): professional actors, five emotions (anger, disgust, fear,
happiness, sadness), about 600 utterances. Its documentation: five folders named after the
emotions, and every file named ``xAA (B)``: ``x`` the emotion's first letter (``a`` anger,
``d`` disgust, ``f`` fear, ``h`` happiness, ``s`` sadness), ``AA`` the utterance (01-20) and
``B`` the speaker; where two takes of an utterance were kept, the second carries a lower-case
letter after the bracket (``f18 (5)b.wav``). The speakers' gender is not given, so ``gender``
is missing. The folder is read too: where it names another emotion than the file, the folder's
is used (``frame.attrs["from_folder"]``).
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import AESDD_EMOTIONS

__all__ = ["AESDD", "parse_aesdd"]

_NAME = re.compile(r"^([adfhs])(\d\d) ?\((\d+)\) ?([a-z]?)$", re.IGNORECASE)
_FOLDERS = {
    "anger": "angry",
    "disgust": "disgust",
    "fear": "fearful",
    "happiness": "happy",
    "sadness": "sad",
}


def parse_aesdd(path: PurePath) -> Record | None:
    """The fields of an AESDD file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"aesdd-4"``), ``gender`` (missing), ``original_label``
        (the letter), ``utterance`` and ``take`` (1, or 2 for a second kept take).

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_aesdd(PurePath("fear/f18 (5)b.wav"))
    >>> record["emotion"], record["speaker"], record["utterance"], record["take"]
    ('fearful', 'aesdd-5', 18, 2)
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    label, utterance, speaker, take = match.groups()
    label = label.lower()
    return {
        "emotion": AESDD_EMOTIONS[label],
        "speaker": f"aesdd-{int(speaker)}",
        "gender": None,
        "original_label": label,
        "utterance": int(utterance),
        "take": 1 + (ord(take.lower()) - ord("a") if take else 0),
    }


def _parse_folder(path: PurePath) -> Record | None:
    emotion = _FOLDERS.get(path.parent.name.lower())
    return None if emotion is None else {"emotion": emotion}


AESDD = CorpusSpec(
    name="aesdd",
    title="AESDD",
    parse=parse_aesdd,
    layout="files named like 'a03 (4).wav' (emotion letter, utterance, speaker in brackets) in "
    "folders anger/, disgust/, fear/, happiness/, sadness/",
    aliases=("acted-emotional-speech-dynamic-database",),
    folder_names=("aesdd", "acted emotional speech dynamic database"),
    parse_folder=_parse_folder,
    url="http://m3c.web.auth.gr/research/aesdd-speech-emotion-recognition/",
)
