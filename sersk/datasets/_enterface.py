"""eNTERFACE'05 layout: ``subject 1/anger/sentence 1/s1_an_1.wav``, audio taken from the videos.

The eNTERFACE'05 audio-visual emotion database (Martin, Kotsia, Macq & Pitas, 2006, ICDEW'06;
http://www.enterface.net/enterface05/; free for research): 42 subjects of 14 nationalities
say five English sentences for each of anger, disgust, fear, happiness, sadness and surprise,
after listening to a short story meant to elicit it. It is distributed as AVI videos laid out
``subject N/EMOTION/sentence K/sN_EM_K.avi``, ``EM`` the emotion's first two letters (``an``,
``di``, ``fe``, ``ha``, ``sa``, ``su``). sersk reads the audio extracted from them, named and
placed like the videos (``s1_an_1.wav``; e.g. ``ffmpeg -i s1_an_1.avi -vn s1_an_1.wav``).
The release has quirks its layout corrects: the folder ``subject 11`` holds files named
``s12_…``, and a few names are misspelt (``s16_su_3avi.avi``). So the folders are read too:
the speaker, emotion and sentence come from ``subject N/EMOTION/sentence K`` wherever the name
cannot be parsed or disagrees with them, and the file is listed in
``frame.attrs["from_folder"]``. The subjects' gender is not published per subject, so
``gender`` is missing.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import ENTERFACE_EMOTIONS

__all__ = ["ENTERFACE", "parse_enterface"]

_NAME = re.compile(r"^s(\d+)_(an|di|fe|ha|sa|su)_([1-5])$", re.IGNORECASE)
_SUBJECT = re.compile(r"^subject\s*(\d+)$", re.IGNORECASE)
_SENTENCE = re.compile(r"^sentence\s*([1-5])$", re.IGNORECASE)
_FOLDERS = {
    "anger": "an",
    "disgust": "di",
    "fear": "fe",
    "happiness": "ha",
    "sadness": "sa",
    "surprise": "su",
}


def _columns(subject: str, code: str, sentence: str) -> Record:
    return {
        "emotion": ENTERFACE_EMOTIONS[code],
        "speaker": f"enterface-{int(subject)}",
        "gender": None,
        "original_label": code,
        "sentence": int(sentence),
    }


def parse_enterface(path: PurePath) -> Record | None:
    """The fields of an eNTERFACE'05 file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"enterface-1"``), ``gender`` (missing), ``original_label``
        (the two-letter code) and ``sentence``.

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_enterface(PurePath("subject 3/fear/sentence 2/s3_fe_2.wav"))
    >>> record["emotion"], record["speaker"], record["sentence"]
    ('fearful', 'enterface-3', 2)
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    subject, code, sentence = match.groups()
    return _columns(subject, code.lower(), sentence)


def _parse_folder(path: PurePath) -> Record | None:
    parents = path.parents
    if len(parents) < 3:
        return None
    sentence = _SENTENCE.match(parents[0].name)
    code = _FOLDERS.get(parents[1].name.lower())
    subject = _SUBJECT.match(parents[2].name)
    if sentence is None or code is None or subject is None:
        return None
    return _columns(subject.group(1), code, sentence.group(1))


ENTERFACE = CorpusSpec(
    name="enterface",
    title="eNTERFACE'05",
    parse=parse_enterface,
    layout="audio extracted from the videos, named and placed like them: "
    "subject N/EMOTION/sentence K/sN_EM_K.wav (e.g. subject 1/anger/sentence 1/s1_an_1.wav)",
    aliases=("enterface05", "enterface-05"),
    folder_names=("enterface", "enterface05", "enterface_db", "enterface database"),
    parse_folder=_parse_folder,
    url="http://www.enterface.net/enterface05/",
)
