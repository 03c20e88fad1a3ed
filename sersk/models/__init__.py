"""Classifiers and meta-classifiers that complete sersk pipelines.

``CRNNClassifier`` and ``MLPClassifier`` (Keras, through scikeras) live in
:mod:`sersk.models.keras` and need ``pip install "sersk[keras]"``; they are imported from there
on first use, so ``import sersk.models`` does not import TensorFlow.
"""

from ._calibration import DecisionCalibratedClassifier
from ._label_encoding import LabelEncodedClassifier

__all__ = [
    "CRNNClassifier",
    "DecisionCalibratedClassifier",
    "LabelEncodedClassifier",
    "MLPClassifier",
]

_KERAS_NAMES = frozenset({"CRNNClassifier", "MLPClassifier"})


def __getattr__(name: str):
    if name in _KERAS_NAMES:
        from . import keras

        return getattr(keras, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
