"""CREMA-D file names: ``AudioWAV/1001_DFA_ANG_XX.wav``.

The Crowd-sourced Emotional Multimodal Actors Dataset (Cao et al., 2014, IEEE Trans. Affective
Computing 5(4); Open Database License) names each clip by actor (1001–1091), sentence (a
three-letter code for one of 12 sentences), emotion (ANG, DIS, FEA, HAP, NEU, SAD) and level
(LO, MD, HI, or XX for unspecified), separated by underscores. 7,442 clips from 91 actors. The
actors' sex and age are not in the file names but in ``VideoDemographics.csv``, distributed at
the top of the corpus folder; when that file is found the ``gender`` and ``age`` columns are
filled from it, otherwise they are left missing. One clip, ``1076_MTI_SAD_XX``, is reported to
hold no signal; it is listed like the others (names are all a loader reads), and
:func:`sersk.audio.load_audio` rejects it as silent if that is so.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path, PurePath

import pandas as pd

from ._corpus import CorpusSpec, CorpusWarning, Record, find_side_file
from ._emotions import CREMA_D_EMOTIONS

__all__ = ["CREMA_D", "parse_crema_d"]

_NAME = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})$")

_SENTENCES = {
    "IEO": "It's eleven o'clock",
    "TIE": "That is exactly what happened",
    "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about",
    "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold",
    "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment",
    "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before",
    "TSI": "The surface is slick",
    "WSI": "We'll stop in a couple of minutes",
}

_LEVELS = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified"}

_DEMOGRAPHICS = "videodemographics.csv"


def parse_crema_d(path: PurePath) -> Record | None:
    """The fields of a CREMA-D file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"crema-d-1001"``), ``gender`` (missing: it is not in the
        name), ``original_label``, ``statement_code``, ``statement`` and ``intensity``
        (low, medium, high or unspecified).

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_crema_d(PurePath("AudioWAV/1001_DFA_ANG_XX.wav"))
    >>> record["emotion"], record["speaker"], record["statement"], record["intensity"]
    ('angry', 'crema-d-1001', "Don't forget a jacket", 'unspecified')
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    actor, sentence, emotion, level = match.groups()
    if (
        not 1001 <= int(actor) <= 1091
        or sentence not in _SENTENCES
        or emotion not in CREMA_D_EMOTIONS
        or level not in _LEVELS
    ):
        return None
    return {
        "emotion": CREMA_D_EMOTIONS[emotion],
        "speaker": f"crema-d-{actor}",
        "gender": None,
        "original_label": emotion,
        "statement_code": sentence,
        "statement": _SENTENCES[sentence],
        "intensity": _LEVELS[level],
    }


def _add_demographics(frame: pd.DataFrame, root: Path) -> pd.DataFrame:
    """Fill ``gender`` and ``age`` from ``VideoDemographics.csv`` when it can be found."""
    csv = find_side_file(frame, root, _DEMOGRAPHICS)
    if csv is None:
        return frame
    try:
        table = pd.read_csv(csv)
        table = table.set_index(table["ActorID"].astype(int).map("crema-d-{}".format))
        sex = table["Sex"].astype(str).str.strip().str.lower()
        age = pd.to_numeric(table["Age"], errors="coerce")
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as exc:
        warnings.warn(
            f"{csv}: cannot read the actors' sex and age ({type(exc).__name__}: {exc}); the "
            "gender column of CREMA-D is left missing",
            CorpusWarning,
            stacklevel=4,
        )
        return frame
    sex = sex.where(sex.isin(["male", "female"]))
    frame = frame.copy()
    frame["gender"] = frame["speaker"].map(sex)
    frame["age"] = frame["speaker"].map(age)
    return frame


CREMA_D = CorpusSpec(
    name="crema-d",
    title="CREMA-D",
    parse=parse_crema_d,
    layout="files named ACTOR_SENTENCE_EMOTION_LEVEL.wav (e.g. AudioWAV/1001_DFA_ANG_XX.wav), "
    "with VideoDemographics.csv beside or above the audio folder for the actors' sex",
    aliases=("cremad", "crema_d", "crema"),
    folder_names=("crema-d", "crema", "CREMA-D-master"),
    annotate=_add_demographics,
    n_files=7442,
    url="https://github.com/CheyneyComputerScience/CREMA-D",
)
