"""Samplers that act only while fitting: augmentation of audio and of feature sequences.

They follow imbalanced-learn's contract (``fit_resample``, never ``transform``) and go inside an
``imblearn.pipeline.Pipeline``, which applies them when fitting and skips them when predicting:

- :class:`AudioAugmenter`: noisy, stretched, pitch-shifted and louder/softer copies of the
  training clips, before feature extraction;
- :class:`SpecAugment`: time- and frequency-masked copies of feature sequences, before a
  sequence model.

Class rebalancing needs nothing of sersk's: imbalanced-learn's ``RandomOverSampler`` and
``SMOTE`` go in the same pipelines, after pooled features. Mixup is the ``mixup_alpha`` of the
Keras classifiers, because its soft labels are not scikit-learn class labels.
"""

from ._audio import AudioAugmenter, augment_waveform
from ._sequence import SpecAugment, spec_augment

__all__ = ["AudioAugmenter", "SpecAugment", "augment_waveform", "spec_augment"]
