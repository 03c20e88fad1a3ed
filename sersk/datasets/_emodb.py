"""EmoDB file names: ``wav/SSTTTEV.wav``, e.g. ``03a01Fa.wav``.

The Berlin Database of Emotional Speech (Burkhardt et al., 2005, Interspeech) names each file
by speaker (two digits), text code (``a01`` … ``b10``), emotion (the initial of the German word:
W Wut/Ärger anger, L Langeweile boredom, E Ekel disgust, A Angst fear, F Freude happiness,
T Trauer sadness, N neutral) and version letter. Ten actors: 03, 10, 11, 12, 15 male; 08, 09,
13, 14, 16 female. The public release holds 535 files.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import EMODB_EMOTIONS

__all__ = ["EMODB", "parse_emodb"]

_NAME = re.compile(r"^(\d\d)([ab]\d\d)([A-Z])([a-z])$")

_GENDERS = {
    "03": "male", "10": "male", "11": "male", "12": "male", "15": "male",
    "08": "female", "09": "female", "13": "female", "14": "female", "16": "female",
}

_TEXTS = {
    "a01": "Der Lappen liegt auf dem Eisschrank.",
    "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.",
    "a05": "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    "a07": "In sieben Stunden wird es soweit sein.",
    "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
}


def parse_emodb(path: PurePath) -> Record | None:
    """The fields of an EmoDB file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"emodb-03"``), ``gender``, ``original_label`` (the German
        letter), ``text_code``, ``statement`` (the German sentence) and ``version``.

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_emodb(PurePath("wav/03a01Fa.wav"))
    >>> record["emotion"], record["speaker"], record["gender"], record["text_code"]
    ('happy', 'emodb-03', 'male', 'a01')
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    speaker, text, letter, version = match.groups()
    if speaker not in _GENDERS or letter not in EMODB_EMOTIONS or text not in _TEXTS:
        return None
    return {
        "emotion": EMODB_EMOTIONS[letter],
        "speaker": f"emodb-{speaker}",
        "gender": _GENDERS[speaker],
        "original_label": letter,
        "text_code": text,
        "statement": _TEXTS[text],
        "version": version,
    }


EMODB = CorpusSpec(
    name="emodb",
    title="EmoDB",
    parse=parse_emodb,
    layout="files named SSTTTEV.wav (e.g. 03a01Fa.wav), usually in a wav/ folder",
    aliases=("emo-db", "berlin"),
    folder_names=("emodb", "emo-db", "berlin", "berlin-emodb", "emodb-src"),
    n_files=535,
    url="http://emodb.bilderbar.info/",
)
