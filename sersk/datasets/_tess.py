"""TESS file names: ``OAF_angry/OAF_back_angry.wav``, ``YAF_pleasant_surprised/YAF_youth_ps.wav``.

The Toronto emotional speech set (Dupuis & Pichora-Fuller, University of Toronto, 2010;
CC BY-NC-ND 4.0): two actresses, aged 64 (OAF, "older adult female") and 26 (YAF, "younger adult
female"), say "Say the word ___" with 200 target words in seven emotions (anger, disgust, fear,
happiness, pleasant surprise, sadness, neutral): 2,800 files named speaker, word, emotion. The
folder names differ between distributions (``OAF_Fear``, ``OAF_Pleasant_surprise``,
``YAF_pleasant_surprised``); the file names carry everything. The folders, one per speaker
and emotion (``OAF_angry/``), are read too: the public release has a clip
``OAF_neutral/OA_bite_neutral.wav`` whose speaker code is misspelt, a valid clip of OAF in the
neutral state. Where a name cannot be parsed but its folder can, or where the two disagree, the
folder's speaker and emotion are used and the file is listed in ``frame.attrs["from_folder"]``.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import TESS_EMOTIONS

__all__ = ["TESS", "parse_tess", "parse_tess_folder"]

# Longest alternatives first, so that "pleasant_surprised" is not read as word "pleasant".
_EMOTION_WORDS = "|".join(sorted(map(re.escape, TESS_EMOTIONS), key=len, reverse=True))
_NAME = re.compile(rf"^(OAF|YAF)_([^_]+(?:_[^_]+)*?)_({_EMOTION_WORDS})$", re.IGNORECASE)

_AGES = {"OAF": 64, "YAF": 26}

_FOLDER = re.compile(rf"^(OAF|YAF)_({_EMOTION_WORDS})$", re.IGNORECASE)
# The word between the first and last underscores of a name that does not parse otherwise.
_LOOSE_WORD = re.compile(r"^[^_]+_(.+)_[^_]+$")


def parse_tess(path: PurePath) -> Record | None:
    """The fields of a TESS file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"tess-OAF"`` or ``"tess-YAF"``), ``gender`` (female),
        ``original_label`` (``"ps"`` for pleasant surprise), ``word`` and ``age``.

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_tess(PurePath("YAF_pleasant_surprised/YAF_youth_ps.wav"))
    >>> record["emotion"], record["speaker"], record["word"]
    ('surprised', 'tess-YAF', 'youth')
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    speaker, word, label = match.groups()
    speaker, label = speaker.upper(), label.lower()
    return {
        "emotion": TESS_EMOTIONS[label],
        "speaker": f"tess-{speaker}",
        "gender": "female",
        "original_label": label,
        "word": word.lower(),
        "age": _AGES[speaker],
    }


def parse_tess_folder(path: PurePath) -> Record | None:
    """The speaker and emotion that a TESS file's folder (``OAF_neutral/``) gives, or None.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; its folder's name is read, and its own name only for the word.

    Returns
    -------
    dict or None
        The columns of :func:`parse_tess`, with ``original_label`` the folder's emotion word
        and ``word`` read loosely from the name (missing when it has no two underscores).

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_tess_folder(PurePath("OAF_neutral/OA_bite_neutral.wav"))
    >>> record["speaker"], record["emotion"], record["word"]
    ('tess-OAF', 'neutral', 'bite')
    """
    match = _FOLDER.match(path.parent.name)
    if match is None:
        return None
    speaker, label = match.group(1).upper(), match.group(2).lower()
    word = _LOOSE_WORD.match(path.stem)
    return {
        "emotion": TESS_EMOTIONS[label],
        "speaker": f"tess-{speaker}",
        "gender": "female",
        "original_label": label,
        "word": word.group(1).lower() if word else None,
        "age": _AGES[speaker],
    }


TESS = CorpusSpec(
    name="tess",
    title="TESS",
    parse=parse_tess,
    layout="files named SPEAKER_WORD_EMOTION.wav (e.g. OAF_back_angry.wav, YAF_youth_ps.wav), "
    "usually in folders such as OAF_angry/",
    aliases=("toronto", "toronto-emotional-speech-set"),
    folder_names=(
        "tess",
        "toronto-emotional-speech-set",
        "toronto-emotional-speech-set-tess",
        "TESS Toronto emotional speech set data",
    ),
    parse_folder=parse_tess_folder,
    n_files=2800,
    url="https://doi.org/10.5683/SP2/E8H2MF",
)
