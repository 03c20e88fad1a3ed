"""What sersk's samplers share: imbalanced-learn's contract for inputs that are not a matrix."""

from __future__ import annotations

import numpy as np
from imblearn.base import BaseSampler
from sklearn.utils.multiclass import check_classification_targets

__all__: list[str] = []


class _AugmentingSampler(BaseSampler):
    """Base class: keeps every input and appends ``n_copies`` altered copies of each.

    imbalanced-learn's :class:`~imblearn.base.BaseSampler` validates a 2-D numeric matrix;
    sersk's samplers take audio batches or 3-D sequences, so they validate their own input and
    skip the sampling-strategy machinery (they add copies of every class alike).
    """

    _sampling_type = "bypass"

    def _check_input(self, X, y):
        raise NotImplementedError

    def fit(self, X, y, **params):
        """Check the inputs; nothing is learned.

        Returns
        -------
        self
        """
        self._validate_params()
        self._check_input(X, y)
        return self

    def fit_resample(self, X, y, **params):
        """The inputs followed by their altered copies.

        Parameters
        ----------
        X : batch of inputs
        y : array-like of shape (n_samples,)

        Returns
        -------
        X_resampled : same kind as X, of length n_samples * (1 + n_copies)
            The originals first, then copy 1 of every input, then copy 2 …
        y_resampled : ndarray of shape (n_samples * (1 + n_copies),)
        """
        self._validate_params()
        X, y = self._check_input(X, y)
        return self._fit_resample(X, y)

    def _check_targets(self, y, n: int) -> np.ndarray:
        y = np.asarray(y)
        if y.shape != (n,):
            raise ValueError(f"y must hold one label per input: got shape {y.shape} for {n} "
                             "inputs")
        check_classification_targets(y)
        return y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.sparse = False
        return tags
