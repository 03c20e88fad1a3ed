"""The harmonised emotion vocabulary and each corpus's mapping to it.

Corpora name the same emotions differently: RAVDESS numbers them, EmoDB uses German initials,
CREMA-D three-letter codes, TESS, SAVEE and MESD English words or their initials, EMOVO Italian
and CaFE French abbreviations. Every loader maps its corpus's labels onto :data:`EMOTIONS`, so
frames from different corpora can be combined and a model trained on one can be scored on
another. The corpus's own label is kept beside the harmonised one (column ``original_label``).
A label is mapped only onto the emotion its corpus's documentation names (Italian *gioia*, joy,
is ``happy``; French *peur*, fear, is ``fearful``); a state no other corpus has (JL-Corpus's
*excited* or *apologetic*) gets its own entry rather than the nearest one.
"""

from __future__ import annotations

__all__ = [
    "AESDD_EMOTIONS",
    "ASED_EMOTIONS",
    "CAFE_EMOTIONS",
    "CREMA_D_EMOTIONS",
    "EMODB_EMOTIONS",
    "EMOTIONS",
    "EMOVO_EMOTIONS",
    "ENTERFACE_EMOTIONS",
    "ESD_EMOTIONS",
    "JL_CORPUS_EMOTIONS",
    "MESD_EMOTIONS",
    "NEMO_EMOTIONS",
    "RAVDESS_EMOTIONS",
    "SAVEE_EMOTIONS",
    "SHEMO_EMOTIONS",
    "SUBESCO_EMOTIONS",
    "TESS_EMOTIONS",
    "TUREV_EMOTIONS",
    "URDU_EMOTIONS",
]

#: The harmonised emotion labels, in a fixed order: RAVDESS's, then EmoDB's boredom, then
#: JL-Corpus's excited and its five secondary emotions, which no other corpus has.
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
    "excited",
    "anxious",
    "apologetic",
    "assertive",
    "concerned",
    "encouraging",
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

#: EMOVO: the Italian abbreviation that starts ``dis-f1-b1`` (disgusto, gioia joy, neutrale,
#: paura fear, rabbia anger, sorpresa, tristezza sadness).
EMOVO_EMOTIONS: dict[str, str] = {
    "dis": "disgust",
    "gio": "happy",
    "neu": "neutral",
    "pau": "fearful",
    "rab": "angry",
    "sor": "surprised",
    "tri": "sad",
}

#: ASED: the letter that starts ``a5-03-01-02-50`` (n neutral, f fearful, h happy, s sad,
#: a angry).
ASED_EMOTIONS: dict[str, str] = {
    "n": "neutral",
    "f": "fearful",
    "h": "happy",
    "s": "sad",
    "a": "angry",
}

#: TurEV-DB: the emotion folders of its ``Sound Source/`` (lower-cased).
TUREV_EMOTIONS: dict[str, str] = {
    "angry": "angry",
    "calm": "calm",
    "happy": "happy",
    "sad": "sad",
}

#: URDU: the letter before the clip number in ``SM1_F10_A010`` (its folders Angry, Happy,
#: Neutral, Sad).
URDU_EMOTIONS: dict[str, str] = {
    "A": "angry",
    "H": "happy",
    "N": "neutral",
    "S": "sad",
}

#: SUBESCO: the English word in ``F_02_MONIKA_S_1_NEUTRAL_5``.
SUBESCO_EMOTIONS: dict[str, str] = {
    "ANGRY": "angry",
    "DISGUST": "disgust",
    "FEAR": "fearful",
    "HAPPY": "happy",
    "NEUTRAL": "neutral",
    "SAD": "sad",
    "SURPRISE": "surprised",
}

#: ShEMO: the letter after the speaker in ``F01A01`` (anger, fear, happiness, neutral,
#: sadness, and W for surprise, "wonder").
SHEMO_EMOTIONS: dict[str, str] = {
    "A": "angry",
    "F": "fearful",
    "H": "happy",
    "N": "neutral",
    "S": "sad",
    "W": "surprised",
}

#: JL-Corpus: the word in ``female1_angry_1a_1``: five primary emotions (angry, sad, neutral,
#: happy, excited) and five secondary ones, each its own entry.
JL_CORPUS_EMOTIONS: dict[str, str] = {
    "angry": "angry",
    "sad": "sad",
    "neutral": "neutral",
    "happy": "happy",
    "excited": "excited",
    "anxious": "anxious",
    "apologetic": "apologetic",
    "assertive": "assertive",
    "concerned": "concerned",
    "encouraging": "encouraging",
}

#: ESD: the emotion folders of each speaker (``0011/Angry/``).
ESD_EMOTIONS: dict[str, str] = {
    "Angry": "angry",
    "Happy": "happy",
    "Neutral": "neutral",
    "Sad": "sad",
    "Surprise": "surprised",
}

#: CaFE: the letter in ``01-C-1-1`` (Colère anger, Dégoût disgust, Joie happiness, Neutre,
#: Peur fear, Surprise, Tristesse sadness).
CAFE_EMOTIONS: dict[str, str] = {
    "C": "angry",
    "D": "disgust",
    "J": "happy",
    "N": "neutral",
    "P": "fearful",
    "S": "surprised",
    "T": "sad",
}

#: AESDD: the first letter of ``a03 (4)`` (anger, disgust, fear, happiness, sadness).
AESDD_EMOTIONS: dict[str, str] = {
    "a": "angry",
    "d": "disgust",
    "f": "fearful",
    "h": "happy",
    "s": "sad",
}

#: eNTERFACE'05: the two letters in ``s1_an_1`` (anger, disgust, fear, happiness, sadness,
#: surprise).
ENTERFACE_EMOTIONS: dict[str, str] = {
    "an": "angry",
    "di": "disgust",
    "fe": "fearful",
    "ha": "happy",
    "sa": "sad",
    "su": "surprised",
}

#: MESD: the English word that starts ``Anger_F_A_abajo`` (anger, disgust, fear, happiness,
#: neutral, sadness).
MESD_EMOTIONS: dict[str, str] = {
    "Anger": "angry",
    "Disgust": "disgust",
    "Fear": "fearful",
    "Happiness": "happy",
    "Neutral": "neutral",
    "Sadness": "sad",
}
