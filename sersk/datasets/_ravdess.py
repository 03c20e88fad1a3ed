"""RAVDESS file names: ``MM-VC-EE-II-SS-RR-AA.wav`` under ``Actor_XX/`` folders.

The Ryerson Audio-Visual Database of Emotional Speech and Song (Livingstone & Russo, 2018,
PLoS ONE 13(5): e0196391; CC BY-NC-SA 4.0) names every file with seven two-digit fields:
modality (01 full-AV, 02 video-only, 03 audio-only), vocal channel (01 speech, 02 song),
emotion (01 neutral … 08 surprised), intensity (01 normal, 02 strong), statement
(01 "Kids are talking by the door", 02 "Dogs are sitting by the door"), repetition (01, 02) and
actor (01–24; odd actors are male, even female). The speech-audio release
(``Audio_Speech_Actors_01-24.zip``) holds 1,440 files: 60 per actor.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import RAVDESS_EMOTIONS

__all__ = ["RAVDESS", "parse_ravdess"]

_NAME = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$")

_MODALITIES = {"01": "full-AV", "02": "video-only", "03": "audio-only"}
_VOCAL_CHANNELS = {"01": "speech", "02": "song"}
_INTENSITIES = {"01": "normal", "02": "strong"}
_STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}


def parse_ravdess(path: PurePath) -> Record | None:
    """The fields of a RAVDESS file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"ravdess-01"``), ``gender``, ``original_label``,
        ``intensity``, ``statement``, ``repetition``, ``modality`` and ``vocal_channel``.

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_ravdess(PurePath("Actor_12/03-01-06-01-02-01-12.wav"))
    >>> record["emotion"], record["speaker"], record["gender"], record["statement"]
    ('fearful', 'ravdess-12', 'female', 'Dogs are sitting by the door')
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    modality, channel, emotion, intensity, statement, repetition, actor = match.groups()
    if (
        modality not in _MODALITIES
        or channel not in _VOCAL_CHANNELS
        or emotion not in RAVDESS_EMOTIONS
        or intensity not in _INTENSITIES
        or statement not in _STATEMENTS
        or repetition not in ("01", "02")
        or not 1 <= int(actor) <= 24
    ):
        return None
    return {
        "emotion": RAVDESS_EMOTIONS[emotion],
        "speaker": f"ravdess-{actor}",
        "gender": "male" if int(actor) % 2 else "female",
        "original_label": emotion,
        "intensity": _INTENSITIES[intensity],
        "statement": _STATEMENTS[statement],
        "repetition": int(repetition),
        "modality": _MODALITIES[modality],
        "vocal_channel": _VOCAL_CHANNELS[channel],
    }


def _is_audio_only_speech(record: Record) -> bool:
    return record["modality"] == "audio-only" and record["vocal_channel"] == "speech"


RAVDESS = CorpusSpec(
    name="ravdess",
    title="RAVDESS",
    parse=parse_ravdess,
    layout="files named MM-VC-EE-II-SS-RR-AA.wav (e.g. 03-01-06-01-02-01-12.wav) in Actor_XX/ "
    "folders",
    folder_names=("ravdess", "ravdess-speech", "Audio_Speech_Actors_01-24"),
    keep=_is_audio_only_speech,
    selection="audio-only speech, modality 03 and vocal channel 01",
    selection_columns=("modality", "vocal_channel"),
    n_files=1440,
    url="https://zenodo.org/records/1188976",
)
