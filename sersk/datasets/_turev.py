"""TurEV-DB layout: ``Sound Source/Angry/1157_kz_acik.wav``, an emotion folder per clip.

The Turkish Emotion-Voice Database (Xeonen/TurEV-DB on GitHub, https://github.com/Xeonen/TurEV-DB;
CC BY-NC-ND 4.0): single Turkish words said in four states, 1,735 clips in the repository's
``Sound Source/`` folder, one sub-folder per emotion (``Angry``, ``Calm``, ``Happy``, ``Sad``).
The repository's README documents only the folders, not the file names, so the emotion is read
from the folder. The names as released are ``SPEAKER_CODE_WORD`` (``1157_kz_acik``): a
four-digit speaker number, a two-letter code of the emotion in Turkish (``kz`` kızgın in
``Angry/``, ``hl`` in ``Sad/`` …) and the word; the speaker and the word are taken from them,
the code kept as ``emotion_code`` but not interpreted. The speakers' gender is not published
with the data, so ``gender`` is missing. The repository also holds filtered copies of the test
clips (``Model Output for Test Data/…/sound/Angry/…``, the same names): they are processed
versions, not recordings, and are left out (listed in ``frame.attrs["skipped"]``).
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import TUREV_EMOTIONS

__all__ = ["TUREV_DB", "parse_turev"]

_NAME = re.compile(r"^(\d{4})_([a-z]{2})_([^_]+)$", re.IGNORECASE)
# The repository's folder of filtered copies of the test clips.
_MODEL_OUTPUT = "model output"


def parse_turev(path: PurePath) -> Record | None:
    """The fields of a TurEV-DB file, from its emotion folder and name, or None.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; its folder's name (the emotion) and its own name are read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"turev-db-1157"``), ``gender`` (missing),
        ``original_label`` (the folder's name), ``emotion_code``, ``word`` and
        ``model_output`` (whether the file is one of the repository's filtered copies).

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_turev(PurePath("Sound Source/Sad/1234_hl_algi.wav"))
    >>> record["emotion"], record["speaker"], record["word"]
    ('sad', 'turev-db-1234', 'algi')
    """
    folder = path.parent.name
    label = TUREV_EMOTIONS.get(folder.lower())
    match = _NAME.match(path.stem)
    if label is None or match is None:
        return None
    speaker, code, word = match.groups()
    return {
        "emotion": label,
        "speaker": f"turev-db-{speaker}",
        "gender": None,
        "original_label": folder,
        "emotion_code": code.lower(),
        "word": word.lower(),
        "model_output": any(part.lower().startswith(_MODEL_OUTPUT) for part in path.parts),
    }


def _is_recording(record: Record) -> bool:
    return not record["model_output"]


TUREV_DB = CorpusSpec(
    name="turev-db",
    title="TurEV-DB",
    parse=parse_turev,
    layout="files named SPEAKER_CODE_WORD.wav (e.g. 1157_kz_acik.wav) in emotion folders "
    "Angry/, Calm/, Happy/, Sad/ (Sound Source/ in the repository)",
    aliases=("turev",),
    folder_names=("turev-db", "turev", "TurEV-DB-master", "TurEV-DB-main", "Sound Source"),
    keep=_is_recording,
    selection="the recordings, not the filtered copies under 'Model Output for Test Data'",
    selection_columns=("model_output",),
    n_files=1735,
    url="https://github.com/Xeonen/TurEV-DB",
)
