"""openSMILE's standard feature sets (eGeMAPSv02, ComParE_2016) through the ``opensmile`` package.

The sets the field compares against: eGeMAPS's 88 functionals (Eyben et al., 2016) and the
6373 functionals of the ComParE 2016 challenge, or their low-level descriptors (25 and 65 per
10 ms frame) as sequences. ``opensmile`` is an install extra (``pip install
"sersk[opensmile]"``), imported on first extraction; its ``Smile`` objects are built once per
process and never stored on the estimator, so transformers clone and pickle like the others.
"""

from __future__ import annotations

import functools
import sys
import warnings

import numpy as np
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from ..audio import MIN_DURATION
from ..exceptions import SerskError
from ..extras import missing_modules
from ._base import FrameFeatureTransformer

__all__ = [
    "OPENSMILE_FEATURE_SETS",
    "OpenSmileFunctionals",
    "OpenSmileLLD",
    "check_opensmile",
    "opensmile_feature_names",
    "opensmile_features",
]

OPENSMILE_FEATURE_SETS = ("eGeMAPSv02", "ComParE_2016")
_LEVELS = {"functionals": "Functionals", "lld": "LowLevelDescriptors"}
# openSMILE's longest analysis window in these sets is 60 ms (F0 and voice quality); below
# about 0.1 s the functionals come back as NaN ("Segment too short").
MIN_SECONDS = 0.1


def check_opensmile() -> None:
    """Raise a one-line :class:`~sersk.exceptions.MissingExtraError` unless the ``opensmile``
    extra is installed."""
    from ..extras import require

    require("opensmile", "openSMILE features")


def load_before_tensorflow() -> None:
    """Load openSMILE's native library now, if the extra is installed and TensorFlow is not yet
    imported: loaded after TensorFlow, it crashes the process (malloc corruption; measured with
    opensmile 2.6 and TensorFlow 2.21), loaded before, both work. sersk.models.keras calls this
    before it imports TensorFlow."""
    if "tensorflow" in sys.modules or missing_modules("opensmile"):
        return
    import opensmile  # noqa: F401 -- its import loads the native library


def _check_loadable() -> None:
    """A clear error, rather than a crashed process, when TensorFlow came first."""
    if "tensorflow" in sys.modules and "opensmile" not in sys.modules:
        raise SerskError(
            "openSMILE cannot be loaded in a process that has already imported TensorFlow (its "
            "native library then crashes the process): import sersk.models.keras, or "
            "opensmile, before tensorflow, or extract openSMILE features in another process"
        )


@functools.cache
def _smile(feature_set: str, level: str):
    """One ``opensmile.Smile`` per process and configuration (building one parses its config)."""
    check_opensmile()
    _check_loadable()
    import opensmile

    return opensmile.Smile(
        feature_set=getattr(opensmile.FeatureSet, feature_set),
        feature_level=getattr(opensmile.FeatureLevel, _LEVELS[level]),
    )


def _check_choice(feature_set: str, level: str) -> None:
    if feature_set not in OPENSMILE_FEATURE_SETS:
        raise ValueError(f"feature_set must be one of {OPENSMILE_FEATURE_SETS}, got "
                         f"{feature_set!r}")
    if level not in _LEVELS:
        raise ValueError(f"level must be one of {tuple(_LEVELS)}, got {level!r}")


def opensmile_feature_names(*, feature_set: str = "eGeMAPSv02",
                            level: str = "functionals") -> list[str]:
    """openSMILE's names of a feature set's columns, such as ``F0semitoneFrom27.5Hz_sma3nz_amean``.

    Parameters
    ----------
    feature_set : {"eGeMAPSv02", "ComParE_2016"}, default="eGeMAPSv02"
    level : {"functionals", "lld"}, default="functionals"

    Returns
    -------
    names : list of str
        88 or 6373 functionals; 25 or 65 low-level descriptors.
    """
    _check_choice(feature_set, level)
    return list(_smile(feature_set, level).feature_names)


def opensmile_features(*, y: np.ndarray, sr: int, feature_set: str = "eGeMAPSv02",
                       level: str = "functionals") -> np.ndarray:
    """openSMILE features of one waveform: its functionals, or its low-level descriptors.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Mono waveform, at least 0.1 s long.
    sr : int
        Its sample rate; openSMILE analyses it at this rate.
    feature_set : {"eGeMAPSv02", "ComParE_2016"}, default="eGeMAPSv02"
    level : {"functionals", "lld"}, default="functionals"
        ``"functionals"``: one row of statistics over the whole clip; ``"lld"``: one row per
        10 ms frame.

    Returns
    -------
    features : ndarray of shape (1, n_features) or (n_frames, n_descriptors), dtype float32
        Columns in the order of :func:`opensmile_feature_names`.

    Raises
    ------
    ValueError
        The clip is too short or openSMILE returned non-finite values.

    See Also
    --------
    OpenSmileFunctionals, OpenSmileLLD : The transformers mapping it over a batch.
    """
    _check_choice(feature_set, level)
    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise ValueError(f"y must be a 1-D waveform, got shape {y.shape}")
    if y.size < MIN_SECONDS * sr:
        raise ValueError(f"openSMILE needs at least {MIN_SECONDS} s of audio, got "
                         f"{y.size / sr:.3f} s")
    with warnings.catch_warnings():
        # "Segment too short, filling with NaN": reported below as an error naming the clip.
        warnings.simplefilter("ignore", UserWarning)
        frames = _smile(feature_set, level).process_signal(y, sr).to_numpy(dtype=np.float32)
    if frames.shape[0] == 0 or not np.isfinite(frames).all():
        raise ValueError(f"openSMILE's {feature_set} {level} are empty or not finite for this "
                         f"clip of {y.size / sr:.3f} s")
    return frames


class _OpenSmileFeature(FrameFeatureTransformer):
    _parameter_constraints: dict = {
        **FrameFeatureTransformer._parameter_constraints,
        "feature_set": [StrOptions(set(OPENSMILE_FEATURE_SETS))],
    }

    _level = ""

    def _window_samples(self):
        return int(np.ceil(MIN_SECONDS * self.sr))

    def _check_frame_params(self):
        check_opensmile()

    def _frame_matrix(self, y):
        return opensmile_features(y=y, sr=self.sr, feature_set=self.feature_set,
                                  level=self._level)

    def _channel_names(self):
        return opensmile_feature_names(feature_set=self.feature_set, level=self._level)

    def _cache_signature(self):
        # The openSMILE version is part of the key: another release may compute other numbers.
        from importlib.metadata import version

        return f"{super()._cache_signature()}-opensmile{version('opensmile')}"


class OpenSmileFunctionals(_OpenSmileFeature):
    """openSMILE's functionals of each clip: eGeMAPSv02 (88) or ComParE_2016 (6373), named.

    openSMILE computes its own statistics over the clip, so there is no pooling parameter:
    :meth:`transform` returns one row per clip, columns named as openSMILE names them.
    Needs the ``opensmile`` package (``pip install "sersk[opensmile]"``).

    Parameters
    ----------
    feature_set : {"eGeMAPSv02", "ComParE_2016"}, default="eGeMAPSv02"
    sr : int, default=16000
        Every clip is resampled to this rate, then analysed at it.
    trim_db : float or None, default=30.0
        Leading and trailing silence quieter than this (dB below the loudest 25 ms) is cut
        first, as for sersk's other features; None keeps every sample.
    min_duration : float, default=sersk.audio.MIN_DURATION
        Clips shorter than this many seconds are refused, as by sersk's other features (see
        :class:`MFCC`); 0 accepts any clip of at least 0.1 s, openSMILE's own minimum.
    n_jobs, memory, verbose
        As in :class:`MFCC`: parallel extraction and a disk cache of each clip's row.

    Attributes
    ----------
    n_clips_fit_ : int
        Clips seen by :meth:`fit`.

    See Also
    --------
    opensmile_features : The function computing one clip's functionals.
    OpenSmileLLD : The low-level descriptors, pooled or as sequences.

    Examples
    --------
    >>> import numpy as np
    >>> from sersk.features import OpenSmileFunctionals
    >>> rng = np.random.default_rng(0)
    >>> clips = [(rng.standard_normal(8_000) * 0.1, 16_000) for _ in range(2)]
    >>> egemaps = OpenSmileFunctionals().fit(clips)  # doctest: +SKIP
    >>> egemaps.transform(clips).shape, egemaps.get_feature_names_out()[0]  # doctest: +SKIP
    ((2, 88), 'F0semitoneFrom27.5Hz_sma3nz_amean')
    """

    _level = "functionals"
    _parameter_constraints: dict = {
        key: value for key, value in _OpenSmileFeature._parameter_constraints.items()
        if key != "pooling"
    }

    def __init__(self, *, feature_set="eGeMAPSv02", sr=16_000, trim_db=30.0,
                 min_duration=MIN_DURATION, n_jobs=None, memory=None, verbose=False):
        self.feature_set = feature_set
        self.sr = sr
        self.trim_db = trim_db
        self.min_duration = min_duration
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose

    def _make_pooling(self):
        return None

    def transform(self, X):
        """Each clip's functionals.

        Parameters
        ----------
        X : list of audio inputs
            As in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_clips, n_features), dtype float32
            88 columns for eGeMAPSv02, 6373 for ComParE_2016.

        Raises
        ------
        AudioBatchError
            After processing every usable input, if any input could not be used.
        """
        check_is_fitted(self, "pooling_")
        return np.vstack(self.extract_frames(self._audio_batch(X, reset=False)))


class OpenSmileLLD(_OpenSmileFeature):
    """openSMILE's low-level descriptors of each clip, every 10 ms: pooled, or as sequences.

    eGeMAPSv02 has 25 descriptors (loudness, F0, formants, jitter, shimmer, spectral slopes …),
    ComParE_2016 65. With ``pooling=FixedLengthSequence(...)`` they feed the sequence models
    (``crnn``) as the mel or handcrafted frames do. Needs the ``opensmile`` package.

    Parameters
    ----------
    feature_set : {"eGeMAPSv02", "ComParE_2016"}, default="eGeMAPSv02"
    sr, trim_db, pooling, n_jobs, memory, verbose
        As in :class:`MFCC`.

    See Also
    --------
    opensmile_features : The function computing one clip's descriptors.
    OpenSmileFunctionals : openSMILE's own statistics of them.
    """

    _level = "lld"

    def __init__(self, *, feature_set="eGeMAPSv02", sr=16_000, trim_db=30.0,
                 min_duration=MIN_DURATION, pooling="stats", n_jobs=None, memory=None,
                 verbose=False):
        self.feature_set = feature_set
        self.sr = sr
        self.trim_db = trim_db
        self.min_duration = min_duration
        self.pooling = pooling
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose
