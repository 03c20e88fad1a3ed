"""ASED file names: ``a5-03-01-02-50.wav``, emotion and folder, sentence, take, gender, speaker.

The Amharic Speech Emotion Dataset (Retta et al., 2023, ACM TALLIP 22(1); version 1,
https://github.com/Ethio2021/ASED_V1; freely available for research): 65 speakers (25 women,
40 men) of four Amharic dialects, five emotions, 2,474 clips kept by eight judges. Its README
documents the release: five folders, one per emotion, and every file named ``xn-yy-aa-gg-bb``
where ``x`` is the emotion (n neutral, f fearful, h happy, s sad, a angry) and ``n`` the number
of its folder (``a5``, ``h3``), ``yy`` the sentence, ``aa`` the repetition (01, 02), ``gg`` the
gender (01 female, 02 male) and ``bb`` the speaker (01-65): ``a5-03-01-02-50.wav`` is the 3rd
sentence said angrily the first time by speaker 50, a man.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import ASED_EMOTIONS

__all__ = ["ASED", "parse_ased"]

_NAME = re.compile(r"^([nfhsa])(\d)-(\d\d)-(0[12])-(0[12])-(\d\d)$", re.IGNORECASE)
_GENDERS = {"01": "female", "02": "male"}


def parse_ased(path: PurePath) -> Record | None:
    """The fields of an ASED file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"ased-50"``), ``gender``, ``original_label`` (the letter),
        ``sentence`` and ``repetition``.

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_ased(PurePath("5Angry/a5-03-01-02-50.wav"))
    >>> record["emotion"], record["speaker"], record["gender"], record["sentence"]
    ('angry', 'ased-50', 'male', 3)
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    label, _folder, sentence, repetition, gender, speaker = match.groups()
    if not 1 <= int(speaker) <= 65:
        return None
    return {
        "emotion": ASED_EMOTIONS[label.lower()],
        "speaker": f"ased-{speaker}",
        "gender": _GENDERS[gender],
        "original_label": label.lower(),
        "sentence": int(sentence),
        "repetition": int(repetition),
    }


ASED = CorpusSpec(
    name="ased",
    title="ASED",
    parse=parse_ased,
    layout="files named xn-yy-aa-gg-bb.wav (e.g. a5-03-01-02-50.wav) in one folder per emotion",
    folder_names=("ased", "ased_v1", "ased-v1"),
    n_files=2474,
    url="https://github.com/Ethio2021/ASED_V1",
)
