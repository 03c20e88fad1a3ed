"""Small Keras layers the sersk models need, registered so that saved models load anywhere.

Every layer here is registered under the ``sersk`` package name: a model pickled with joblib
(scikeras saves it in the ``.keras`` format) loads in a fresh process as soon as
``sersk.models.keras`` is imported, which unpickling the classifier does first.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = [
    "AttentiveStatisticsPooling",
    "FrameMask",
    "FrameStandardization",
    "MaskPooling",
    "MaskedAveragePooling",
    "MaskedStatisticsPooling",
]


@keras.saving.register_keras_serializable(package="sersk")
class FrameMask(keras.layers.Layer):
    """Split a ``frame_valid`` channel off a batch of sequences and zero the padded frames.

    Input: ``(batch, n_frames, n_channels + 1)``, the last channel 1.0 on real frames and 0.0
    on padding, as :class:`sersk.features.FixedLengthSequence` returns it. Output: the
    features ``(batch, n_frames, n_channels)`` with padded frames set to 0, and the mask
    ``(batch, n_frames, 1)``.
    """

    def call(self, inputs):
        mask = inputs[..., -1:]
        return inputs[..., :-1] * mask, mask

    def compute_output_shape(self, input_shape):
        *lead, channels = input_shape
        return (*lead, None if channels is None else channels - 1), (*lead, 1)


@keras.saving.register_keras_serializable(package="sersk")
class FrameStandardization(keras.layers.Layer):
    """Standardise every channel with statistics fixed at build time; padding stays 0.

    The classifier computes ``mean`` and ``scale`` on the real (unpadded) frames of its
    training data, so the statistics travel inside the saved model.

    Parameters
    ----------
    mean, scale : list of float
        One value per channel.
    """

    def __init__(self, mean, scale, **kwargs):
        super().__init__(**kwargs)
        self.mean = [float(v) for v in mean]
        self.scale = [float(v) for v in scale]

    def call(self, inputs):
        # [features, valid] with a (batch, n_frames, 1) validity mask, or the features alone.
        x, valid = inputs if isinstance(inputs, (list, tuple)) else (inputs, None)
        out = (x - ops.convert_to_tensor(self.mean, dtype=x.dtype)) / (
            ops.convert_to_tensor(self.scale, dtype=x.dtype)
        )
        return out if valid is None else out * valid

    def compute_output_shape(self, input_shape):
        return input_shape[0] if isinstance(input_shape, list) else input_shape

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "scale": self.scale}


@keras.saving.register_keras_serializable(package="sersk")
class MaskPooling(keras.layers.Layer):
    """Follow a frame mask through time pooling: a pooled frame is valid if any of its frames was.

    Input ``(batch, n_frames, 1)``; output ``(batch, ceil(n_frames / pool_size), 1)`` with
    ``padding="same"``, matching the pooling layers of the model. With ``as_bool=True`` the
    output is a boolean ``(batch, n_frames')`` mask, as recurrent layers take it.

    Parameters
    ----------
    pool_size : int
    as_bool : bool, default=False
    """

    def __init__(self, pool_size=1, as_bool=False, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = int(pool_size)
        self.as_bool = bool(as_bool)

    def call(self, inputs):
        valid = inputs
        if self.pool_size > 1:
            valid = ops.max_pool(valid, pool_size=self.pool_size, strides=self.pool_size,
                                 padding="same")
        if self.as_bool:
            return ops.squeeze(valid, axis=-1) > 0.5
        return valid

    def compute_output_shape(self, input_shape):
        batch, frames, _ = input_shape
        if frames is not None and self.pool_size > 1:
            frames = -(-frames // self.pool_size)
        return (batch, frames) if self.as_bool else (batch, frames, 1)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "as_bool": self.as_bool}


@keras.saving.register_keras_serializable(package="sersk")
class MaskedAveragePooling(keras.layers.Layer):
    """Average a sequence over its valid frames: ``(batch, n_frames, c)`` -> ``(batch, c)``.

    Called as ``layer([x, mask])`` with a float mask of shape ``(batch, n_frames, 1)``.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # A recurrent layer's output carries Keras's own mask; the average consumes it.
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, inputs):
        x, mask = inputs
        total = ops.sum(x * mask, axis=1)
        return total / ops.maximum(ops.sum(mask, axis=1), 1.0)

    def compute_output_shape(self, input_shape):
        x_shape, _ = input_shape
        return (x_shape[0], x_shape[-1])



def _with_mask(inputs):
    """``[x, mask]`` or ``x`` alone (every frame valid) -> ``(x, mask)``."""
    if isinstance(inputs, (list, tuple)):
        return inputs[0], inputs[1]
    return inputs, ops.ones_like(inputs[..., :1])


def _weighted_mean_std(x, weights):
    """Mean and standard deviation over time with per-frame weights summing to 1."""
    mean = ops.sum(x * weights, axis=1)
    variance = ops.sum(ops.square(x) * weights, axis=1) - ops.square(mean)
    return mean, ops.sqrt(ops.maximum(variance, 1e-6))


@keras.saving.register_keras_serializable(package="sersk")
class MaskedStatisticsPooling(keras.layers.Layer):
    """Mean and standard deviation over the valid frames: ``(batch, n_frames, c)`` ->
    ``(batch, 2c)``.

    The statistics pooling of x-vector networks (Snyder et al., 2018). Called as
    ``layer([x, mask])`` with a float mask of shape ``(batch, n_frames, 1)`` (1.0 on real
    frames), or as ``layer(x)`` when every frame is real.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, inputs):
        x, mask = _with_mask(inputs)
        weights = mask / ops.maximum(ops.sum(mask, axis=1, keepdims=True), 1.0)
        mean, std = _weighted_mean_std(x, weights)
        return ops.concatenate([mean, std], axis=-1)

    def compute_output_shape(self, input_shape):
        x_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        return (x_shape[0], None if x_shape[-1] is None else 2 * x_shape[-1])


@keras.saving.register_keras_serializable(package="sersk")
class AttentiveStatisticsPooling(keras.layers.Layer):
    """Attention-weighted mean and standard deviation over the valid frames.

    Attentive statistics pooling (Okabe et al., 2018): a small network scores every frame
    (``tanh`` layer of ``units``, then one score), the scores of the valid frames are turned
    into weights by a softmax, and the weighted mean and standard deviation are concatenated:
    ``(batch, n_frames, c)`` -> ``(batch, 2c)``. Called as ``layer([x, mask])`` or ``layer(x)``.

    Parameters
    ----------
    units : int, default=64
        Width of the scoring layer.
    """

    def __init__(self, units=64, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.supports_masking = True

    def build(self, input_shape):
        x_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        self.hidden = keras.layers.Dense(self.units, activation="tanh", name="score_hidden")
        self.score = keras.layers.Dense(1, name="score")
        self.hidden.build(x_shape)
        self.score.build((*x_shape[:-1], self.units))

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, inputs):
        x, mask = _with_mask(inputs)
        scores = self.score(self.hidden(x))
        # Padded frames get no weight; a clip of padding only would average nothing.
        scores = ops.where(mask > 0.5, scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=1) * mask
        weights = weights / ops.maximum(ops.sum(weights, axis=1, keepdims=True), 1e-9)
        mean, std = _weighted_mean_std(x, weights)
        return ops.concatenate([mean, std], axis=-1)

    def compute_output_shape(self, input_shape):
        x_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        return (x_shape[0], None if x_shape[-1] is None else 2 * x_shape[-1])

    def get_config(self):
        return {**super().get_config(), "units": self.units}
