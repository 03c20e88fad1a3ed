"""JL-Corpus file names: ``female1_angry_1a_1.wav``.

JL-Corpus, emotional speech in New Zealand English (James, Tian & Watson, 2018, "An Open Source
Emotional Speech Corpus for Human Robot Interaction Applications", Interspeech 2018;
https://www.kaggle.com/datasets/tli725/jl-corpus; for emotional speech research, with
citation): two female and two male speakers, five primary emotions (angry, sad, neutral, happy,
excited) and five secondary ones (anxious, apologetic, assertive, concerned, encouraging),
each sentence recorded in two sessions. Its README gives the file-naming rule
``(Gender)(speaker.ID)_(Emotion)_(Sentence.ID)(session.ID)``, e.g. ``female1_angry_1a_1.wav``;
the Kaggle release keeps them in ``Raw JL corpus (unchecked and unannotated)/JL(wav+txt)/``
beside a ``.txt`` transcript each. The README does not say which of the two marks after the
sentence number (the letter ``a``/``b`` or the final ``_1``/``_2``) is the session, so both are
kept as given: ``sentence`` (``"1a"``) and ``take`` (1). The secondary emotions, and excited,
have no counterpart in other corpora: each is its own entry of :data:`EMOTIONS`, not merged
into the nearest basic emotion.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from ._corpus import CorpusSpec, Record
from ._emotions import JL_CORPUS_EMOTIONS

__all__ = ["JL_CORPUS", "parse_jl_corpus"]

_EMOTION_WORDS = "|".join(JL_CORPUS_EMOTIONS)
_NAME = re.compile(
    rf"^(female|male)([12])_({_EMOTION_WORDS})_(\d+[a-z])_(\d)$", re.IGNORECASE
)

#: The five primary emotions; the others are the corpus's secondary ones.
PRIMARY = ("angry", "sad", "neutral", "happy", "excited")


def parse_jl_corpus(path: PurePath) -> Record | None:
    """The fields of a JL-Corpus file name, or None when it is not one.

    Parameters
    ----------
    path : pathlib.PurePath
        The file; only its name is read.

    Returns
    -------
    dict or None
        ``emotion``, ``speaker`` (``"jl-corpus-female1"``), ``gender``, ``original_label``
        (the English word), ``primary`` (whether it is one of the five primary emotions),
        ``sentence`` and ``take``.

    Examples
    --------
    >>> from pathlib import PurePath
    >>> record = parse_jl_corpus(PurePath("JL(wav+txt)/male2_apologetic_12b_2.wav"))
    >>> record["emotion"], record["speaker"], record["primary"], record["sentence"]
    ('apologetic', 'jl-corpus-male2', False, '12b')
    """
    match = _NAME.match(path.stem)
    if match is None:
        return None
    gender, number, label, sentence, take = match.groups()
    gender, label = gender.lower(), label.lower()
    return {
        "emotion": JL_CORPUS_EMOTIONS[label],
        "speaker": f"jl-corpus-{gender}{number}",
        "gender": gender,
        "original_label": label,
        "primary": label in PRIMARY,
        "sentence": sentence.lower(),
        "take": int(take),
    }


JL_CORPUS = CorpusSpec(
    name="jl-corpus",
    title="JL-Corpus",
    parse=parse_jl_corpus,
    layout="files named GENDERn_EMOTION_SENTENCE_TAKE.wav (e.g. female1_angry_1a_1.wav)",
    aliases=("jl", "jlcorpus"),
    folder_names=("jl-corpus", "jl", "jl_corpus"),
    url="https://www.kaggle.com/datasets/tli725/jl-corpus",
)
