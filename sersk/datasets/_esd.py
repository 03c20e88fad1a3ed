"""ESD layout: ``0011/Angry/0011_000351.wav``, a folder per speaker and emotion.

The Emotional Speech Dataset (Zhou, Sisman, Liu & Li, ICASSP 2021 and Speech Communication 137,
2022; https://github.com/HLTSingapore/Emotional-Speech-Data; research use, under a licence
each user signs): 350 parallel utterances by 10 Mandarin speakers (``0001``-``0010``) and 10
English speakers (``0011``-``0020``) in five emotional states (neutral, happy, angry, sad,
surprise), 35,000 clips. As distributed, each speaker has a folder holding a transcript
(``0011.txt``) and one folder per emotion (``Angry``, ``Happy``, ``Neutral``, ``Sad``,
``Surprise``), in some releases split again into ``train/``, ``evaluation/`` and ``test/``;
the files are named ``SPEAKER_UTTERANCE`` (``0011_000351.wav``). The emotion is therefore read
from the folder; the speaker from the name, or from the speaker folder where the two disagree
(``frame.attrs["from_folder"]``). The release's ReadMe gives each speaker's gender, used here.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import ESD_EMOTIONS

__all__ = ["ESD", "parse_esd"]

_NAME = re.compile(r"^(00(?:0[1-9]|1\d|20))_(\d{6})$")
_SPEAKER = re.compile(r"^00(?:0[1-9]|1\d|20)$")
_SPLITS = ("train", "evaluation", "test")
_EMOTION_FOLDERS = {name.lower(): name for name in ESD_EMOTIONS}

# The release's ReadMe: 0001-0010 Chinese (Mandarin), 0011-0020 English.
_FEMALE = {"0001", "0002", "0003", "0007", "0009", "0015", "0016", "0017", "0018", "0019"}


def _emotion_folder(path: PurePath) -> tuple[str, str | None, PurePath] | None:
    """(folder's emotion word, split or None, the emotion folder) for an ESD file, or None."""
    folder = path.parent
    split = None
    if folder.name.lower() in _SPLITS:
        split, folder = folder.name.lower(), folder.parent
    label = _EMOTION_FOLDERS.get(folder.name.lower())
    return None if label is None else (label, split, folder)


def _speaker_columns(speaker: str) -> Record:
    return {
        "speaker": f"esd-{speaker}",
        "gender": "female" if speaker in _FEMALE else "male",
        "language": "Mandarin" if int(speaker) <= 10 else "English",
    }


def parse_esd(path: PurePath) -> Record | None:
    """The fields of an ESD file, from its name and its emotion folder, or None.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; its name and its folders (emotion, optionally split) are read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"esd-0011"``), ``gender``, ``original_label`` (the
        folder's name), ``language``, ``utterance`` and ``split`` (train, evaluation, test, or
        missing where the release has no split folders).

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_esd(PurePath("0015/Surprise/test/0015_001721.wav"))
    >>> record["emotion"], record["speaker"], record["gender"], record["split"]
    ('surprised', 'esd-0015', 'female', 'test')
    """
    match = _NAME.match(path.stem)
    folder = _emotion_folder(path)
    if match is None or folder is None:
        return None
    speaker, utterance = match.groups()
    label, split, _ = folder
    return {
        "emotion": ESD_EMOTIONS[label],
        **_speaker_columns(speaker),
        "original_label": label,
        "utterance": int(utterance),
        "split": split,
    }


def _parse_folder(path: PurePath) -> Record | None:
    folder = _emotion_folder(path)
    if folder is None or _SPEAKER.match(folder[2].parent.name) is None:
        return None
    label, split, emotion_folder = folder
    return {
        "emotion": ESD_EMOTIONS[label],
        **_speaker_columns(emotion_folder.parent.name),
        "original_label": label,
        "split": split,
    }


ESD = CorpusSpec(
    name="esd",
    title="ESD",
    parse=parse_esd,
    layout="files named SPEAKER_UTTERANCE.wav (e.g. 0011/Angry/0011_000351.wav) in a folder "
    "per speaker and emotion",
    aliases=("emotional-speech-dataset",),
    folder_names=("esd", "emotion speech dataset", "emotional speech dataset (esd)"),
    parse_folder=_parse_folder,
    n_files=35000,
    url="https://github.com/HLTSingapore/Emotional-Speech-Data",
)
