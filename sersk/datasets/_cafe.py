"""CaFE file names: ``Colère/Faible/01-C-1-1.wav``, actor-emotion-intensity-sentence.

The Canadian French Emotional speech dataset (Gournay, Lahaie & Lefebvre, 2018, ACM Multimedia
Systems; https://zenodo.org/record/1478765; CC BY-NC-SA 4.0): six men and six women say six
sentences in six emotions at two intensities, and neutrally: 936 clips. Its ``Readme.txt`` gives
the naming ``AA-E-I-S``: actor (01-12; odd men, even women, with each actor's age), emotion
letter (``C`` colère anger, ``D`` dégoût disgust, ``J`` joie happiness, ``N`` neutre, ``P``
peur fear, ``S`` surprise, ``T`` tristesse sadness), intensity (``1`` faible, low; ``2`` fort,
high) and sentence (1-6). Neutral clips have no intensity, and as released are named
``AA-N-S`` (``03-N-1``) in a ``Neutre/`` folder beside ``Colère/Faible/`` …; both forms are read.
The 48 kHz edition is WAV, the 192 kHz one AIFF.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import CAFE_EMOTIONS

__all__ = ["CAFE", "parse_cafe"]

_NAME = re.compile(r"^(\d\d)-([CDJNPST])-(?:([12])-)?([1-6])$", re.IGNORECASE)

# Readme.txt: each actor's age; odd actors are men, even ones women.
_AGES = {1: 46, 2: 64, 3: 18, 4: 50, 5: 22, 6: 34, 7: 15, 8: 25, 9: 42, 10: 20, 11: 35, 12: 37}
_INTENSITIES = {"1": "low", "2": "high"}
_SENTENCES = {
    1: "Un cheval fou dans mon jardin",
    2: "Deux ânes aigris au pelage brun",
    3: "Trois cygnes aveugles au bord du lac",
    4: "Quatre vieilles truies éléphantesques",
    5: "Cinq pumas fiers et passionnés",
    6: "Six ours aimants domestiqués",
}


def parse_cafe(path: PurePath) -> Record | None:
    """The fields of a CaFE file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"cafe-01"``), ``gender``, ``original_label`` (the French
        letter), ``intensity`` (low, high; missing for neutral), ``sentence``, ``statement``
        and ``age``.

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_cafe(PurePath("Peur/Fort/08-P-2-4.wav"))
    >>> record["emotion"], record["speaker"], record["gender"], record["intensity"]
    ('fearful', 'cafe-08', 'female', 'high')
    >>> parse_cafe(PurePath("Neutre/03-N-1.wav"))["intensity"] is None
    True
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    actor, label, intensity, sentence = match.groups()
    label = label.upper()
    if int(actor) not in _AGES or (intensity is None and label != "N"):
        return None
    return {
        "emotion": CAFE_EMOTIONS[label],
        "speaker": f"cafe-{actor}",
        "gender": "male" if int(actor) % 2 else "female",
        "original_label": label,
        "intensity": _INTENSITIES.get(intensity) if label != "N" else None,
        "sentence": int(sentence),
        "statement": _SENTENCES[int(sentence)],
        "age": _AGES[int(actor)],
    }


CAFE = CorpusSpec(
    name="cafe",
    title="CaFE",
    parse=parse_cafe,
    layout="files named AA-E-I-S.wav (e.g. Colère/Faible/01-C-1-1.wav; neutral AA-N-S.wav in "
    "Neutre/), .wav or .aiff",
    # Not the two parts of the 192 kHz edition (CaFE_192k_1, _2): a folder holding both is the
    # corpus, and neither part alone.
    folder_names=("cafe", "cafe_48k", "cafe_192k"),
    n_files=936,
    url="https://zenodo.org/record/1478765",
)
