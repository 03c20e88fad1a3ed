"""nEMO file names: ``samples/SPEAKER_EMOTION_N.wav``, e.g. ``EB0_anger_12.wav``, with ``data.tsv``.

nEMO, a dataset of emotional speech in Polish (Christop, 2024, LREC-COLING 2024; CC BY-NC-SA
4.0; https://github.com/amu-cai/nEMO): nine actors portray six emotional states (anger, fear,
happiness, sadness, surprised, neutral) in sentences chosen to cover Polish phonetics; 4,481
clips, over 3 hours. Its README describes the release: the audio in a ``samples`` folder, each
file named ``{speaker_id}_{emotion}_{sentence_id}.wav`` (speaker ids are two capitals and a
digit, ``EB0``; the emotion is the English word as listed above), and ``data.tsv`` beside it,
one row per clip with ``file_id`` (that file name), ``emotion``, ``raw_text``,
``normalized_text``, ``speaker_id`` (padded with spaces), ``gender`` and ``age``. The speakers'
gender and age, and the transcripts, are only in ``data.tsv``: when it is found (beside the
audio folder or above it) the ``gender``, ``age``, ``statement`` (the orthographic transcript)
and ``normalized_text`` columns are filled from it, otherwise they are left missing.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path, PurePath

import pandas as pd

from ._corpus import CorpusSpec, CorpusWarning, Record, find_side_file
from ._emotions import NEMO_EMOTIONS

__all__ = ["NEMO", "parse_nemo"]

_EMOTION_WORDS = "|".join(NEMO_EMOTIONS)
_NAME = re.compile(rf"^([A-Z]{{2}}\d)_({_EMOTION_WORDS})_(\d+)$")

_METADATA = "data.tsv"


def parse_nemo(path: PurePath) -> Record | None:
    """The fields of an nEMO file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"nemo-EB0"``), ``gender`` (missing: it is in ``data.tsv``,
        not in the name), ``original_label`` (the English word, ``"anger"``) and ``sentence``
        (the sentence number).

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_nemo(PurePath("samples/KS0_surprised_38.wav"))
    >>> record["emotion"], record["speaker"], record["original_label"], record["sentence"]
    ('surprised', 'nemo-KS0', 'surprised', 38)
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    speaker, label, sentence = match.groups()
    return {
        "emotion": NEMO_EMOTIONS[label],
        "speaker": f"nemo-{speaker}",
        "gender": None,
        "original_label": label,
        "sentence": int(sentence),
    }


def _add_metadata(frame: pd.DataFrame, root: Path) -> pd.DataFrame:
    """Fill gender, age and the transcripts from ``data.tsv`` when it can be found."""
    tsv = find_side_file(frame, root, _METADATA)
    if tsv is None:
        return frame
    try:
        table = pd.read_csv(tsv, sep="\t", dtype=str, keep_default_na=False,
                            quoting=csv.QUOTE_NONE)
        # file_id ends in .wav as released; the audio may have been re-encoded (.flac).
        table = table.set_index(table["file_id"].str.strip().map(lambda f: PurePath(f).stem))
        gender = table["gender"].str.strip().str.lower()
        age = pd.to_numeric(table["age"].str.strip(), errors="coerce")
        text = table["raw_text"].str.strip()
        normalized = table["normalized_text"].str.strip()
    except (OSError, ValueError, KeyError, pd.errors.ParserError) as exc:
        warnings.warn(
            f"{tsv}: cannot read the speakers' gender, age and transcripts "
            f"({type(exc).__name__}: {exc}); those columns of nEMO are left missing",
            CorpusWarning,
            stacklevel=4,
        )
        return frame
    stems = frame["path"].map(lambda p: PurePath(p).stem)
    frame = frame.copy()
    frame["gender"] = stems.map(gender.where(gender.isin(["male", "female"])).to_dict())
    frame["age"] = stems.map(age.to_dict())
    frame["statement"] = stems.map(text.to_dict())
    frame["normalized_text"] = stems.map(normalized.to_dict())
    return frame


NEMO = CorpusSpec(
    name="nemo",
    title="nEMO",
    parse=parse_nemo,
    layout="files named SPEAKER_EMOTION_N.wav (e.g. samples/EB0_anger_12.wav), with data.tsv "
    "beside or above the audio folder for the speakers' gender and age",
    folder_names=("nemo", "nemo-main"),
    annotate=_add_metadata,
    n_files=4481,
    url="https://github.com/amu-cai/nEMO",
)
