"""Classifiers and meta-classifiers that complete sersk pipelines.

``CRNNClassifier`` and ``MLPClassifier`` (Keras, through scikeras) live in
:mod:`sersk.models.keras` and need ``pip install "sersk[keras]"``; they are imported from there
on first use, so ``import sersk.models`` does not import TensorFlow. :func:`predict_among` and
:func:`restrict_probabilities` restrict a model's output to a set of emotions.
"""

from ._calibration import DecisionCalibratedClassifier
from ._label_encoding import LabelEncodedClassifier
from ._restrict import (
    UnknownEmotionError,
    check_emotions,
    predict_among,
    restrict_probabilities,
)

__all__ = [
    "CRNNClassifier",
    "DecisionCalibratedClassifier",
    "LabelEncodedClassifier",
    "MLPClassifier",
    "UnknownEmotionError",
    "check_emotions",
    "predict_among",
    "restrict_probabilities",
]

_KERAS_NAMES = frozenset({"CRNNClassifier", "MLPClassifier"})


def __getattr__(name: str):
    if name in _KERAS_NAMES:
        from . import keras

        return getattr(keras, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
