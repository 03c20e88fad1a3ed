"""Audio features as scikit-learn transformers, and the plain functions behind them.

Transformers take a list of audio inputs (paths, ``(waveform, sample_rate)`` tuples, or
waveforms at ``sr``) and return pooled statistics with named columns, or per-clip frames and
fixed-length sequences for sequence models. Each is paired with a function on one waveform
that returns a time-major ``(n_frames, n_coefficients)`` matrix. openSMILE's eGeMAPSv02 and
ComParE_2016 sets (:class:`OpenSmileFunctionals`, :class:`OpenSmileLLD`) need the
``opensmile`` extra, imported on first extraction.

Embeddings from pretrained speech encoders (:class:`WhisperEncoderEmbedding`,
:class:`Wav2Vec2Embedding`) live in :mod:`sersk.features.encoders`, imported on first use.
"""

from ._base import AudioBatchError, FrameFeatureTransformer, check_audio_batch
from ._handcrafted import HandcraftedFeatures
from ._opensmile import (
    OpenSmileFunctionals,
    OpenSmileLLD,
    opensmile_feature_names,
    opensmile_features,
)
from ._pitch import pitch
from ._pooling import FixedLengthSequence, StatisticsPooling, pool_statistics
from ._spectral import (
    chroma,
    log_mel,
    mfcc,
    rms_energy,
    spectral_contrast,
    stft_magnitude,
    zero_crossing_rate,
)
from ._transformers import (
    MFCC,
    Chroma,
    LogMel,
    Pitch,
    RMSEnergy,
    SpectralContrast,
    ZeroCrossingRate,
)

__all__ = [
    "AudioBatchError",
    "Chroma",
    "FixedLengthSequence",
    "FrameFeatureTransformer",
    "HandcraftedFeatures",
    "LogMel",
    "MFCC",
    "OpenSmileFunctionals",
    "OpenSmileLLD",
    "Pitch",
    "RMSEnergy",
    "SpectralContrast",
    "StatisticsPooling",
    "ZeroCrossingRate",
    "check_audio_batch",
    "chroma",
    "log_mel",
    "mfcc",
    "opensmile_feature_names",
    "opensmile_features",
    "pitch",
    "pool_statistics",
    "rms_energy",
    "spectral_contrast",
    "stft_magnitude",
    "zero_crossing_rate",
]

# Loaded on first access, so that `import sersk.features` does not import the encoders.
_ENCODERS = ("Wav2Vec2Embedding", "WhisperEncoderEmbedding")
__all__ += list(_ENCODERS)


def __getattr__(name):
    if name in _ENCODERS:
        from . import encoders

        return getattr(encoders, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_ENCODERS))
