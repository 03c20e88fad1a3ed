"""The harmonised emotion vocabulary and each corpus's mapping to it.

Corpora name the same emotions differently: RAVDESS numbers them, EmoDB uses German initials,
CREMA-D three-letter codes, TESS and SAVEE English words or their initials. Every loader maps its
corpus's labels onto :data:`EMOTIONS`, so frames from different corpora can be combined and a
model trained on one can be scored on another. The corpus's own label is kept beside the
harmonised one (column ``original_label``).
"""

from __future__ import annotations

__all__ = [
    "CREMA_D_EMOTIONS",
    "EMODB_EMOTIONS",
    "EMOTIONS",
    "NEMO_EMOTIONS",
    "RAVDESS_EMOTIONS",
    "SAVEE_EMOTIONS",
    "TESS_EMOTIONS",
]

#: The harmonised emotion labels, in a fixed order (RAVDESS's, then EmoDB's boredom).
EMOTIONS: tuple[str, ...] = (
    "neutral",
    "calm",
    "happy",
    "sad",
    "angry",
    "fearful",
    "disgust",
    "surprised",
    "boredom",
)

#: RAVDESS: the third field of ``MM-VC-EE-II-SS-RR-AA``.
RAVDESS_EMOTIONS: dict[str, str] = {
    "01": "neutral",
    "02": "calm",
    "03": "happy",
    "04": "sad",
    "05": "angry",
    "06": "fearful",
    "07": "disgust",
    "08": "surprised",
}

#: EmoDB: the German initial in position 6 of ``SSTTTEV`` (Wut/Ärger, Langeweile, Ekel, Angst,
#: Freude, Trauer, Neutral).
EMODB_EMOTIONS: dict[str, str] = {
    "W": "angry",
    "L": "boredom",
    "E": "disgust",
    "A": "fearful",
    "F": "happy",
    "T": "sad",
    "N": "neutral",
}

#: CREMA-D: the third field of ``1001_DFA_ANG_XX``.
CREMA_D_EMOTIONS: dict[str, str] = {
    "ANG": "angry",
    "DIS": "disgust",
    "FEA": "fearful",
    "HAP": "happy",
    "NEU": "neutral",
    "SAD": "sad",
}

#: TESS: the last word of ``OAF_back_angry``; "ps" is pleasant surprise. Folder names spell
#: pleasant surprise several ways between distributions, hence the variants (lower-cased).
TESS_EMOTIONS: dict[str, str] = {
    "angry": "angry",
    "anger": "angry",
    "disgust": "disgust",
    "fear": "fearful",
    "happy": "happy",
    "happiness": "happy",
    "neutral": "neutral",
    "sad": "sad",
    "sadness": "sad",
    "ps": "surprised",
    "pleasant_surprise": "surprised",
    "pleasant_surprised": "surprised",
}

#: SAVEE: the letters before the sentence number in ``a01``, ``sa12``.
SAVEE_EMOTIONS: dict[str, str] = {
    "a": "angry",
    "d": "disgust",
    "f": "fearful",
    "h": "happy",
    "n": "neutral",
    "sa": "sad",
    "su": "surprised",
}

#: nEMO: the English word in ``EB0_anger_12``.
NEMO_EMOTIONS: dict[str, str] = {
    "anger": "angry",
    "fear": "fearful",
    "happiness": "happy",
    "neutral": "neutral",
    "sadness": "sad",
    "surprised": "surprised",
}
