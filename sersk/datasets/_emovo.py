"""EMOVO file names: ``f1/dis-f1-b1.wav``, emotion-speaker-sentence, in speaker folders.

EMOVO, an Italian emotional speech corpus (Costantini, Iaderola, Paoloni & Todisco, LREC 2014;
http://voice.fub.it/activities/corpora/emovo/index.html; free for research use): six actors
(three women ``f1``-``f3``, three men ``m1``-``m3``) say 14 sentences in the seven states
disgust, joy, fear, anger, surprise, sadness and neutral: 588 files. As distributed, the audio
lies in one folder per speaker, each file named ``EMOTION-SPEAKER-SENTENCE`` with the emotion as
the Italian abbreviation (``dis`` disgusto, ``gio`` gioia, ``neu`` neutrale, ``pau`` paura,
``rab`` rabbia, ``sor`` sorpresa, ``tri`` tristezza), e.g. ``dis-m3-b1.wav``; the release's
``LA STRUTTURA DI EMOVO.pdf`` describes the labels. The sentence codes are a letter and a
digit (``b1``-``b3``, ``l1``-``l4``, ``n1``-``n5``, ``d1``-``d2``); their texts are not in the
names and are not listed here. The speaker folder is read as well: where it names another
speaker than the file name, the folder's is used (``frame.attrs["from_folder"]``).
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import EMOVO_EMOTIONS

__all__ = ["EMOVO", "parse_emovo"]

_NAME = re.compile(r"^(dis|gio|neu|pau|rab|sor|tri)-([fm][1-3])-([bdln]\d)$", re.IGNORECASE)
_SPEAKER = re.compile(r"^[fm][1-3]$", re.IGNORECASE)
_GENDERS = {"f": "female", "m": "male"}


def parse_emovo(path: PurePath) -> Record | None:
    """The fields of an EMOVO file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"emovo-f1"``), ``gender``, ``original_label`` (the Italian
        abbreviation) and ``sentence`` (its code, ``"b1"``).

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_emovo(PurePath("m3/dis-m3-b1.wav"))
    >>> record["emotion"], record["speaker"], record["gender"], record["sentence"]
    ('disgust', 'emovo-m3', 'male', 'b1')
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    label, speaker, sentence = (group.lower() for group in match.groups())
    return {
        "emotion": EMOVO_EMOTIONS[label],
        "speaker": f"emovo-{speaker}",
        "gender": _GENDERS[speaker[0]],
        "original_label": label,
        "sentence": sentence,
    }


def _parse_folder(path: PurePath) -> Record | None:
    # The speaker folder alone: it tells who speaks, not how.
    folder = path.parent.name
    if _SPEAKER.match(folder) is None:
        return None
    return {"speaker": f"emovo-{folder.lower()}", "gender": _GENDERS[folder[0].lower()]}


EMOVO = CorpusSpec(
    name="emovo",
    title="EMOVO",
    parse=parse_emovo,
    layout="files named EMOTION-SPEAKER-SENTENCE.wav (e.g. m3/dis-m3-b1.wav) in speaker "
    "folders f1/ … m3/",
    folder_names=("emovo", "emovo-ita"),
    parse_folder=_parse_folder,
    n_files=588,
    url="http://voice.fub.it/activities/corpora/emovo/index.html",
)
