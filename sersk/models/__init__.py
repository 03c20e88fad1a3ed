"""Classifiers and meta-classifiers that complete sersk pipelines."""

from ._label_encoding import LabelEncodedClassifier

__all__ = ["LabelEncodedClassifier"]
